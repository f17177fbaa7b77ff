"""Numbers for drawing: what an SVG attribute holds is read by the browser, not a person, so it
is never localised (bokmål's "300,0" is no width at all). Text a person reads inside a chart is
formatted like the rest of the page."""


def svg_number(value: float) -> str:
    """A coordinate or length for an SVG attribute: a plain decimal point, one decimal at most."""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.1f}"
