"""Two hundred cross-site scripting payloads in the style of the OWASP filter evasion cheat sheet, built
from vectors and the ways they are dressed up. Each must come back as text."""

VECTORS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<marquee onstart=alert(1)>",
    '<div style="background:url(javascript:alert(1))">',
    "<style>@import 'javascript:alert(1)';</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    '<meta http-equiv=refresh content="0;url=javascript:alert(1)">',
    "<base href=javascript:alert(1)//>",
    "<form action=javascript:alert(1)><button>x",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
]
DRESSINGS = [
    lambda v: v,
    lambda v: v.upper(),
    lambda v: '"><' + v.lstrip("<"),
    lambda v: "'><" + v.lstrip("<"),
    lambda v: "</textarea>" + v,
    lambda v: "</title>" + v,
    lambda v: "<!--" + v + "-->",
    lambda v: v.replace("alert(1)", "alert&#40;1&#41;"),
    lambda v: v.replace(" ", "/"),
    lambda v: "{{ " + v + " }}{% csrf_token %}",
]
PAYLOADS = list(dict.fromkeys(dress(vector) for vector in VECTORS for dress in DRESSINGS))
assert len(PAYLOADS) >= 200, len(PAYLOADS)
