"""Markdown written by staff, rendered for the public: CommonMark (markdown-it-py), then
sanitised (nh3, ammonia's binding) so script, event handlers, ``javascript:`` URLs, styles and
frames never reach a reader, whatever the text holds."""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

#: What rendered Markdown may contain: text structure, links and images, nothing active.
ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}}
#: Raw HTML in the text is escaped, not parsed; links may only be web or mail addresses.
_parser = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
#: The same without images: a text whose readers must not be tracked by a third party's server
#: before they ask for anything (temperature updates) shows ``![alt](url)`` as a link.
_parser_without_images = (
    MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").disable("image")
)


def render_markdown(text: str, *, images: bool = True) -> SafeString:
    """``text`` as safe HTML (headings start at h2: the page has its own h1)."""
    html = (_parser if images else _parser_without_images).render(text or "")
    for level in range(5, 0, -1):  # h1 → h2 … h5 → h6: under the page's own heading
        html = html.replace(f"<h{level}>", f"<h{level + 1}>").replace(
            f"</h{level}>", f"</h{level + 1}>"
        )
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS if images else ALLOWED_TAGS - {"img"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised just above
