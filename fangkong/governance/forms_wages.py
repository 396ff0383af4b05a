"""Forms of the wage-arrears panel and the joint meeting."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fangkong.core.widgets import DateInput

from .models import Company, DecisionKind, GovCase, Payer, Project, Unit

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0.01}


def _limit(field: forms.ModelChoiceField, rows) -> None:
    field.queryset = field.queryset.model.objects.filter(pk__in=[r.pk for r in rows])


class ClaimForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.none())
    employer = forms.ModelChoiceField(label=_("Employer"), queryset=Company.objects.none())
    worker = forms.CharField(label=_("Worker"), max_length=50)
    owed = forms.DecimalField(label=_("Owed (yuan)"), **MONEY)

    def __init__(self, *args, projects=(), companies=(), **kwargs):
        super().__init__(*args, **kwargs)
        _limit(self.fields["project"], projects)
        _limit(self.fields["employer"], companies)


class OrderForm(forms.Form):
    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.none())
    amount = forms.DecimalField(label=_("Amount (yuan)"), **MONEY)
    pay_by = forms.DateField(label=_("Pay by"), widget=DateInput())

    def __init__(self, *args, companies=(), **kwargs):
        super().__init__(*args, **kwargs)
        _limit(self.fields["company"], companies)


class OrderPaidForm(forms.Form):
    order = forms.IntegerField(widget=forms.HiddenInput)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())


class AdvanceForm(forms.Form):
    payer = forms.ChoiceField(label=_("Paid by"), choices=Payer.choices)
    amount = forms.DecimalField(label=_("Amount (yuan)"), **MONEY)
    paid_on = forms.DateField(label=_("Paid on"), widget=DateInput())


class BlacklistForm(forms.Form):
    company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.none())

    def __init__(self, *args, companies=(), **kwargs):
        super().__init__(*args, **kwargs)
        _limit(self.fields["company"], companies)


class MeetingForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput())
    present = forms.ModelMultipleChoiceField(
        label=_("Units present"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    absent = forms.ModelMultipleChoiceField(
        label=_("Units absent"),
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        _limit(self.fields["present"], units)
        _limit(self.fields["absent"], units)


class DecisionForm(forms.Form):
    case = forms.ModelChoiceField(label=_("Case"), queryset=GovCase.objects.none())
    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices)
    text = forms.CharField(
        label=_("Text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        _limit(self.fields["case"], cases)


class CompanyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=18)
    area_code = forms.CharField(label=_("Area code"), max_length=64)


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    area_code = forms.CharField(label=_("Area code"), max_length=64)
    builder = forms.ModelChoiceField(label=_("Builder"), queryset=Company.objects.none())
    general_contractor = forms.ModelChoiceField(
        label=_("General contractor"), queryset=Company.objects.none()
    )
    subcontractors = forms.ModelMultipleChoiceField(
        label=_("Subcontractors"),
        queryset=Company.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    contract_value = forms.DecimalField(label=_("Contract value (yuan)"), **MONEY)
    wage_account = forms.CharField(label=_("Wage account"), max_length=40, required=False)
    deposit = forms.DecimalField(
        label=_("Wage deposit (yuan)"), max_digits=14, decimal_places=2, min_value=0, initial=0
    )

    def __init__(self, *args, companies=(), **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("builder", "general_contractor", "subcontractors"):
            _limit(self.fields[name], companies)
