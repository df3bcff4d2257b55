"""Payments' periodic work: asking Alipay about trades still waiting, and the pay-later bill reminders."""

from __future__ import annotations

from services.payments.bill_jobs import run_bills_once
from services.payments.deps import PaymentsDeps
from services.payments.reconcile import reconcile_once
from shared.service import Job

JOBS = [
    # At start too: the notifies of an outage were lost with it.
    Job[PaymentsDeps](reconcile_once, every=lambda deps: deps.settings.reconcile_interval_s, at_start=True),
    Job[PaymentsDeps](run_bills_once, every=lambda deps: deps.settings.bill_job_interval_s),
]
