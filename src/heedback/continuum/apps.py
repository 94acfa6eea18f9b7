from django.apps import AppConfig


class ContinuumConfig(AppConfig):
    name = "heedback.continuum"
    label = "continuum"
    # Evidence indicators this app declares (see continuum/registry.py): any app may list its
    # own the same way, and one that measures a key replaces the placeholder declared here.
    continuum_indicators = ["heedback.continuum.indicators.INDICATORS"]
    # Run by `heedback worker`: the evidence placement of every scope, once a day, kept per
    # month for the history chart (see continuum/evidence_history.py).
    periodic_jobs = ["heedback.continuum.evidence_history.record_evidence_history"]
    # Sections this app adds to the loop's daily and weekly digest (see loop/digests.py).
    digest_sections = ["heedback.continuum.plan_digest.service_plan_sections"]
