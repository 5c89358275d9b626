/* Filter a list of checkboxes as you type (the incident form's affected services).
   Markup: an element with data-filter-list holding a [data-filter-search] wrapper (hidden in the HTML, so
   without JavaScript every option shows and no useless box does), its [data-filter-input], an optional
   [data-filter-status] read out to screen readers, and the [data-filter-item] elements to show or hide.
   Each word typed must appear in an item's text, accents and case ignored. Loaded with defer. */
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function setUp(list) {
    var search = list.querySelector("[data-filter-search]");
    var input = list.querySelector("[data-filter-input]");
    var status = list.querySelector("[data-filter-status]");
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-filter-item]"));
    if (!search || !input) {
      return;
    }
    var texts = items.map(function (item) {
      return fold(item.textContent);
    });

    function apply() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (item, i) {
        var match = words.every(function (word) {
          return texts[i].indexOf(word) !== -1;
        });
        item.hidden = !match;
        shown += match ? 1 : 0;
      });
      if (status) {
        status.textContent = words.length ? shown + " of " + items.length + " shown" : "";
      }
    }

    input.addEventListener("input", apply);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault(); // Enter filters; it does not submit the form around the list
      }
    });
    search.hidden = false;
    apply(); // a value the browser restored (back button) filters at once
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-list]"), setUp);
})();
