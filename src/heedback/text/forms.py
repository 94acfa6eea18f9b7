"""The curation form of the themes page: one form, one action at a time."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from heedback.orgs.models import Organisation
from heedback.surveys.models import Domain
from heedback.text.choices import ThemeStatus
from heedback.text.models import Theme

ACTIONS = [
    ("rename", _("Rename")),
    ("keywords", _("Set keywords")),
    ("domain", _("Pin to a domain")),
    ("merge", _("Merge into")),
    ("split", _("Split in two")),
    ("archive", _("Archive")),
]


class ThemeCurationForm(forms.Form):
    """Rename, set keywords, pin a domain, merge, split or archive one theme."""

    action = forms.ChoiceField(choices=ACTIONS)
    theme = forms.ModelChoiceField(queryset=Theme.objects.none())
    name = forms.CharField(max_length=100, required=False)
    keywords = forms.CharField(
        max_length=2000, required=False, help_text=_("Words or phrases, separated by commas.")
    )
    domain = forms.ModelChoiceField(queryset=Domain.objects.none(), required=False)
    into = forms.ModelChoiceField(queryset=Theme.objects.none(), required=False)

    def __init__(self, organisation: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        active = Theme.objects.for_org(organisation).filter(status=ThemeStatus.ACTIVE)
        self.fields["theme"].queryset = active
        self.fields["into"].queryset = active
        self.fields["domain"].queryset = Domain.objects.for_org(organisation)

    def clean(self) -> dict:
        cleaned = super().clean()
        action = cleaned.get("action")
        if action == "rename" and not (cleaned.get("name") or "").strip():
            self.add_error("name", _("Give the new name."))
        if action == "merge" and cleaned.get("into") is None:
            self.add_error("into", _("Choose the theme to merge into."))
        return cleaned

    def keyword_list(self) -> list[str]:
        return [word for word in self.cleaned_data.get("keywords", "").split(",") if word.strip()]
