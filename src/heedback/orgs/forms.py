from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader
from django.utils.translation import gettext_lazy as _

from heedback.core.errors import ServiceError
from heedback.notify.services import Email, enqueue_email
from heedback.orgs.choices import ApiKeyRole, Role, UnitKind
from heedback.orgs.models import ApiKey, Organisation, Unit


def apply_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a service's field errors on the form's fields (others at the top)."""
    if not error.errors:
        form.add_error(None, error.message)
    for field, messages in error.errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)


class FetchedChoiceIterator(forms.models.ModelChoiceIterator):
    """List a queryset's choices from one plain fetch, kept on the queryset.

    Django's iterator runs ``QuerySet.iterator()`` each time the choices are walked, and a
    select walks them twice when it has no empty choice: once to decide its ``required``
    attribute, once for its options. That was a query too many on every dashboard page
    (the survey filter). Fetched once and kept, the list serves both; units and surveys
    are counted in hundreds, so keeping them costs nothing.
    """

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for instance in self.queryset:
            yield self.choice(instance)


class UnitChoiceField(forms.ModelChoiceField):
    iterator = FetchedChoiceIterator

    def label_from_instance(self, unit: Unit) -> str:
        return "\u2003" * unit.depth + unit.name


def unit_field(organisation: Organisation, *, required: bool, label: str) -> UnitChoiceField:
    return UnitChoiceField(
        queryset=Unit.objects.for_org(organisation).order_by("path"), required=required, label=label
    )


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, sending its email through the outbox like every other email."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        enqueue_email(
            Email(to=[to_email], subject=subject, body=body),
            key=f"password-reset-{context['uid']}-{context['token']}",
        )


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Email"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class UnitForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices, initial=UnitKind.LOCATION)

    def __init__(self, organisation: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"] = unit_field(organisation, required=False, label=_("Inside"))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, organisation: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(
            organisation, required=False, label=_("Unit (managers and front-line staff)")
        )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, organisation: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"] = unit_field(organisation, required=False, label=_("Unit"))


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What will use this key?"))
    role = forms.ChoiceField(
        label=_("Access"), choices=ApiKeyRole.choices, initial=ApiKeyRole.ADMIN
    )
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=ApiKey._meta.get_field("survey").related_model.objects.none(),
        required=False,
        empty_label=_("All surveys"),
        help_text=_("A key for one survey may submit to and read only that survey."),
    )

    def __init__(self, organisation: Organisation, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The surveys app sits above this one: its model is reached through the key's field.
        surveys = ApiKey._meta.get_field("survey").related_model.objects
        self.fields["survey"].queryset = surveys.filter(organisation=organisation).order_by("name")


class AcceptInvitationForm(forms.Form):
    """Name and password for a person who has no account yet."""

    name = forms.CharField(label=_("Your name"), max_length=150)
    password = forms.CharField(
        label=_("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password
