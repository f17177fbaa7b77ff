"""Template filters for the ticket pages."""

from decimal import Decimal

from django import forms, template
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.filter
def kr(ore: int | None) -> str:
    """Øre as kroner in the active language: "1 234,50 kr" / "1,234.50 kr"."""
    if ore is None:
        return ""
    return f"{number_format(Decimal(ore) / 100, 2, force_grouping=True)} kr"


#: Widgets whose markup ``shop_field`` writes itself: one ``<input>`` each.
_PLAIN_INPUTS = (forms.TextInput, forms.EmailInput, forms.CheckboxInput)


@register.simple_tag
def shop_field(field: forms.BoundField) -> str:
    """A field as ``partials/field.html`` renders it (Django's field group in a ``div.field``),
    written in Python for plain inputs: the checkout's ~15 fields through Django's templates
    were most of the order page's time. The same markup: the label for the input's id, help
    text and errors tied by ``aria-describedby``, ``aria-invalid`` on an error, the widget's own
    attributes (type, autocomplete, inputmode, maxlength, required). Any other widget (radio
    buttons, selects, a fieldset) goes through the shared partial."""
    widget = field.field.widget
    form = field.form
    if (
        type(widget) not in _PLAIN_INPUTS
        or field.use_fieldset
        or field.is_hidden
        or field.field.show_hidden_initial
        or field.field.localize
        or getattr(form, "required_css_class", None)
        or type(form).template_name_label != forms.Form.template_name_label
    ):
        return render_to_string("partials/field.html", {"field": field})
    errors = field.errors
    attrs = field.build_widget_attrs({}, widget)
    auto_id = field.auto_id
    if auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    parts: list[str] = [format_html('<div class="field{}">', " has-error" if errors else "")]
    if field.label:
        parts.append(_label(field))
    if field.help_text:
        help_id = format_html(' id="{}_helptext"', auto_id) if auto_id else ""
        # As Django's own field template does ({{ field.help_text|safe }}): help texts are
        # the code's own strings, never a user's.
        help_text = mark_safe(field.help_text)  # noqa: S308
        parts.append(format_html('<div class="helptext"{}>{}</div>', help_id, help_text))
    if errors:
        parts.append(str(errors))
    parts.append(format_html('<input type="{}" name="{}"', context["type"], context["name"]))
    if context["value"] is not None:
        parts.append(format_html(' value="{}"', context["value"]))
    parts.extend(_attrs(context["attrs"]))
    parts.append("></div>\n")
    # Every part above is escaped by format_html (or is the error list's own safe HTML).
    return mark_safe("".join(parts))  # noqa: S308


def _label(field: forms.BoundField) -> str:
    contents = field.label
    suffix = (
        field.field.label_suffix
        if field.field.label_suffix is not None
        else field.form.label_suffix
    )
    if suffix and contents and contents[-1] not in gettext(":?.!"):
        contents = format_html("{}{}", contents, suffix)
    id_ = field.field.widget.attrs.get("id") or field.auto_id
    if not id_:
        return conditional_escape(contents)
    for_id = field.field.widget.id_for_label(id_)
    if not for_id:
        return format_html("<label>{}</label>", contents)
    return format_html('<label for="{}">{}</label>', for_id, contents)


def _attrs(attrs: dict) -> list[str]:
    """Attributes as ``django/forms/widgets/attrs.html`` writes them: True bare, False left out."""
    out: list[str] = []
    for name, value in attrs.items():
        if value is True:
            out.append(format_html(" {}", name))
        elif value is not False:
            out.append(format_html(' {}="{}"', name, value))
    return out
