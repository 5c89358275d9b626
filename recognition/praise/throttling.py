from complaints.intake.throttling import ClientAddressThrottle


class PublicComplimentThrottle(ClientAddressThrottle):
    """THROTTLE_PUBLIC_COMPLIMENT per client address (default 10 an hour): the form and the API together."""

    scope = "public_compliment"
