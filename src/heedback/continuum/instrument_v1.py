"""Version 1 of the continuum instrument: 34 statements and the scoring thresholds.

The statements are asked factor by factor, with the levels mixed inside each factor so that
the questionnaire does not read as a ladder to climb. Hostile and aware statements describe
shortcomings (agreeing holds the placement down); friendly, focused and centric statements
describe practices that can be checked (agreeing lifts it). docs/continuum.md gives the
reason for every statement and number; keep the two in step.

Texts and steps are wrapped in ``_`` so that ``makemessages`` (xgettext's default keywords)
collects them; the pages translate them when they show them. ``_`` here only marks: the
module stays free of Django so that scoring can be tested without settings.
"""

from heedback.continuum.instrument import Instrument


def _(message: str) -> str:
    """Mark ``message`` for translation without translating it (like ``gettext_noop``)."""
    return message


def _statement(
    statement_id: str,
    factor: str,
    level: str,
    text: str,
    step: str,
    feature: str | None = None,
    *,
    weight: float = 1.0,
) -> dict:
    return {
        "id": statement_id,
        "factor": factor,
        "level": level,
        "text": text,
        "step": step,
        "feature": feature,
        "weight": weight,
    }


CF, ME, EN = "customer_focus", "measurement", "environment"

CUSTOMER_FOCUS = [
    _statement(
        "cf_problems_fixed",
        CF,
        "friendly",
        _("When a customer tells us about a problem, we fix it and let the customer know."),
        _("Fix every problem a customer raises and tell the customer when it is fixed."),
        "results",
    ),
    _statement(
        "cf_complaints_argued",
        CF,
        "hostile",
        _("When a customer complains, our first reaction is to show that the customer is wrong."),
        _("Answer every complaint first with an apology and a fix; explanations come after."),
        weight=2.0,
    ),
    _statement(
        "cf_target_customers",
        CF,
        "focused",
        _(
            "We have chosen the customers we most want to serve and shaped our services "
            "around what they need."
        ),
        _(
            "Name your target customers and ask them, in a relationship survey, what they "
            "need from you."
        ),
        "business_review",
    ),
    _statement(
        "cf_reactive",
        CF,
        "aware",
        _("We act on a customer's problem only after the customer has complained about it."),
        _(
            "Look for problems before customers report them: read every comment, not only "
            "complaints."
        ),
        "results",
    ),
    _statement(
        "cf_customer_eyes",
        CF,
        "centric",
        _(
            "We design new services and changes by going through them as a customer would, "
            "with customers taking part."
        ),
        _("Walk through each new service as a customer before launch, with real customers."),
    ),
    _statement(
        "cf_policies_reviewed",
        CF,
        "friendly",
        _("We review the rules customers complain about and change the ones that make no sense."),
        _(
            "Review the policies customers complain about twice a year; drop the ones that only "
            "protect you."
        ),
        "results",
    ),
    _statement(
        "cf_scripts",
        CF,
        "aware",
        _(
            "Front-line staff follow scripts and must ask a supervisor before doing anything "
            "out of the ordinary for a customer."
        ),
        _("Replace scripts with principles, and let staff decide how to help within clear limits."),
        "employee_pulse",
    ),
    _statement(
        "cf_proactive_contact",
        CF,
        "focused",
        _(
            "We contact customers before they contact us: to check on a recent service and "
            "when we know something has gone wrong."
        ),
        _(
            "Follow up every service with a short survey or a call, and call first when "
            "something has gone wrong."
        ),
        "customer_survey",
    ),
    _statement(
        "cf_policies_protect",
        CF,
        "hostile",
        _(
            "Our rules for customers (returns, refunds, exceptions) are written mainly to "
            "protect the company from them."
        ),
        _("Rewrite customer rules from the customer's side: what would a fair customer expect?"),
    ),
    _statement(
        "cf_all_functions",
        CF,
        "centric",
        _("Every function, back office included, is judged on what it does for customers."),
        _("Give every department, back office included, a customer measure it is judged on."),
        "units",
    ),
]

MEASUREMENT = [
    _statement(
        "me_regular_surveys",
        ME,
        "friendly",
        _("We ask customers for feedback on a fixed schedule, at least every quarter."),
        _("Put a customer survey on a fixed rhythm, at least quarterly, at every unit."),
        "customer_survey",
    ),
    _statement(
        "me_nothing_measured",
        ME,
        "hostile",
        _("We do not measure how satisfied our customers are."),
        _(
            "Start measuring: publish one short survey with the recommend question and a comment "
            "box."
        ),
        "customer_survey",
        weight=2.0,
    ),
    _statement(
        "me_every_touchpoint",
        ME,
        "focused",
        _(
            "We collect feedback continuously at every point where we serve customers: "
            "visits, orders, calls and online."
        ),
        _("Put a link or a QR card at every touchpoint, so that feedback arrives every day."),
        "links",
    ),
    _statement(
        "me_results_filed",
        ME,
        "aware",
        _("Survey results are filed or passed around, but rarely lead to a decision."),
        _("End every results review with a named action, an owner and a date."),
        "results",
    ),
    _statement(
        "me_front_line_days",
        ME,
        "focused",
        _(
            "Front-line staff see their own customers' feedback within a few days of it being "
            "given."
        ),
        _("Give front-line staff their unit's results and comments as they arrive."),
        "members",
        weight=2.0,
    ),
    _statement(
        "me_loop_closed_fast",
        ME,
        "centric",
        _(
            "Customers who had a bad experience are contacted within two working days of telling "
            "us."
        ),
        _("Set a two-day deadline for contacting every detractor, with escalation to the manager."),
        "detractor_rule",
    ),
    _statement(
        "me_complaints_only",
        ME,
        "hostile",
        _("We find out that customers are unhappy only when they complain or stop buying."),
        _("Ask before they complain: one recommend question after each interaction."),
        "customer_survey",
    ),
    _statement(
        "me_management_reviews",
        ME,
        "friendly",
        _("Management reviews customer feedback at a regular meeting and agrees actions."),
        _("Review the results page at a monthly management meeting."),
        "results",
    ),
    _statement(
        "me_detractors_followed_up",
        ME,
        "focused",
        _(
            "Every customer who reports a bad experience is contacted by someone who can put it "
            "right."
        ),
        _("Switch on the detractor rule: every detractor becomes a case with an owner."),
        "detractor_rule",
        weight=2.0,
    ),
    _statement(
        "me_occasional",
        ME,
        "aware",
        _("We survey customers now and then, when someone thinks of it, not on a schedule."),
        _("Replace one-off surveys with a standing survey that runs all year."),
        "customer_survey",
    ),
    _statement(
        "me_customer_goals",
        ME,
        "centric",
        _(
            "Managers' goals include customer results (such as NPS, retention or problems "
            "solved), not only financial ones."
        ),
        _("Set customer targets per unit (NPS, CSAT, cases closed in time) in a service plan."),
        "service_plan",
    ),
    _statement(
        "me_drivers",
        ME,
        "centric",
        _(
            "We decide where to invest from analysis of what drives customer satisfaction and "
            "why customers leave."
        ),
        _("Run the driver analysis and read why customers lapse before the budget round."),
        "driver_analysis",
    ),
    _statement(
        "me_perception_gap",
        ME,
        "centric",
        _(
            "We compare how our staff rate our service with how customers rate it, domain by "
            "domain."
        ),
        _("Run the staff self-assessment survey beside the customer survey to measure the gap."),
        "self_assessment_survey",
    ),
]

ENVIRONMENT = [
    _statement(
        "en_basic_training",
        EN,
        "friendly",
        _("Everyone who serves customers gets service training when they join."),
        _("Train every new starter in service before they serve customers alone."),
        "employee_pulse",
    ),
    _statement(
        "en_blame",
        EN,
        "hostile",
        _("When something goes wrong for a customer, we look for someone to blame."),
        _("Review failures for causes, not culprits: ask what in the process let it happen."),
        weight=2.0,
    ),
    _statement(
        "en_authority_tools",
        EN,
        "focused",
        _("Staff have the authority and the tools to put a customer's problem right themselves."),
        _(
            "Give front-line staff the authority and tools to fix problems on the spot, and ask "
            "in the employee pulse whether they feel free to."
        ),
        "employee_pulse",
        weight=2.0,
    ),
    _statement(
        "en_more_staff",
        EN,
        "aware",
        _(
            "When service slips, our answer is to hire more people rather than train and equip "
            "the ones we have."
        ),
        _("Before adding staff, check training, authority and tools in the employee pulse."),
        "employee_pulse",
    ),
    _statement(
        "en_internal_customers",
        EN,
        "centric",
        _("Departments serve each other as internal customers, with the care they give customers."),
        _("Ask each department to survey the departments it serves, as it would customers."),
        "survey_builder",
    ),
    _statement(
        "en_silos",
        EN,
        "hostile",
        _("A customer's problem that crosses two departments usually falls between them."),
        _("Give every problem that crosses departments one owner who sees it through."),
    ),
    _statement(
        "en_coaching",
        EN,
        "focused",
        _(
            "Managers regularly coach their staff on serving customers, using customers' own "
            "feedback."
        ),
        _("Use each unit's comments in a short coaching conversation every week."),
        "results",
    ),
    _statement(
        "en_adhoc_training",
        EN,
        "aware",
        _(
            "Service training happens when there is time or money for it, not as a planned "
            "programme."
        ),
        _("Plan a year of service training for every role that meets customers."),
    ),
    _statement(
        "en_recognition",
        EN,
        "friendly",
        _("Good service is noticed and recognised."),
        _("Recognise staff named in customers' praise at team meetings."),
        "results",
    ),
    _statement(
        "en_engagement_measured",
        EN,
        "focused",
        _("We measure how engaged our employees are at least twice a year and act on the results."),
        _("Run the employee pulse at least twice a year and tell staff what you changed."),
        "employee_pulse",
    ),
    _statement(
        "en_engagement_with_outcomes",
        EN,
        "centric",
        _("Employee engagement and customer results are reviewed together, unit by unit."),
        _("Put each unit's pulse results beside its customer scores and review them together."),
        "internal_customers",
    ),
]

INSTRUMENT_V1 = Instrument.model_validate(
    {
        "version": 1,
        "scoring": {
            "scale_min": 1,
            "scale_max": 5,
            # Share of agreement (0 = strongly disagree, 1 = strongly agree) at which a level's
            # statements count as agreed with; 0.625 is a mean answer of 3.5, halfway between
            # "neither" and "agree". Centric asks for agreement itself (a mean of 4).
            "thresholds": {
                "hostile": 0.625,
                "aware": 0.625,
                "friendly": 0.625,
                "focused": 0.625,
                "centric": 0.75,
            },
            "minimum_answered_share": 0.5,
            "factor_weights": {CF: 1.0, ME: 1.0, EN: 1.0},
        },
        "statements": [*CUSTOMER_FOCUS, *MEASUREMENT, *ENVIRONMENT],
    }
)
