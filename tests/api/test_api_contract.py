"""The API keeps the promises of its OpenAPI document, checked by schemathesis.

Requests generated from /api/v1/openapi.json (valid ones, and invalid ones that must be
refused) go to the WSGI application in-process, with a programme manager's token and with an
ambassador's. A server error, an undocumented status, a body that does not match its documented
schema, or invalid input accepted, fails the test. Derandomised: the same cases every run;
about a minute per person (EXAMPLES cases per operation and generation mode).
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chorus.links.actions import link_for, link_settings
from tests.base import OrgTestCase
from tests.factory import make_token, populate_org

# The SQLite pass of `make test` runs it; the PostgreSQL pass leaves it out (marker).
pytestmark = pytest.mark.contract
EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


class ApiContractTests(OrgTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        populate_org(cls.org, cls.paul_m)
        populate_org(cls.other_org, cls.oscar_m)
        options = link_settings(cls.org)
        options.allowed_domains = "example.com"  # where an ambassador may link
        options.save()
        link_for(cls.amy_m, "linkedin", url="https://www.example.com/")

    def setUp(self) -> None:
        # As Django's test client does: requests must not close the test's connection, which
        # holds the test's transaction (PostgreSQL would lose it, and its data).
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
            self.addCleanup(signal.connect, close_old_connections)

    def assert_contract_kept(self, token: str) -> None:
        config = schemathesis.Config.from_dict(
            {
                "seed": 20260101,
                "generation": {
                    "mode": "all",  # valid input must be served, invalid input refused
                    "max-examples": EXAMPLES,
                    "deterministic": True,
                    # The token is ours to send; unknown query parameters are ignored.
                    "with-security-parameters": False,
                    "allow-extra-parameters": False,
                },
                # Explicit examples, boundary values (huge ids, empty strings...), then fuzzing.
                "phases": {
                    "examples": {"enabled": True},
                    "coverage": {"enabled": True},
                    "fuzzing": {"enabled": True},
                    "stateful": {"enabled": False},
                },
            }
        )
        schema = schemathesis.openapi.from_wsgi(
            "/api/v1/openapi.json", get_wsgi_application(), config=config
        )
        headers = {"Authorization": f"Bearer {token}"}

        def call_and_check(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        failures: list[str] = []
        operations = [result.ok() for result in schema.get_all_operations()]
        self.assertGreater(len(operations), 30)
        for operation in operations:
            # The same builder as `schema.parametrize()`, without a pytest item per operation.
            test = build_operation_test(
                config=schema.config,
                operation=operation,
                test_func=call_and_check,
                given_kwargs={},
                feedback=FeedbackSources(),
                explicit_settings=settings(
                    database=None,
                    deadline=None,
                    suppress_health_check=list(HealthCheck),
                ),
            )
            try:
                test()
            except Unsatisfiable:
                pass  # nothing in this operation can be made invalid
            # One report for all operations, not the first (a FailureGroup is a BaseException).
            except (Exception, FailureGroup) as error:
                failures.append(f"{operation.label}: {error}")
        self.assertEqual(failures, [], "\n\n".join(failures))

    def test_programme_manager(self) -> None:
        self.assert_contract_kept(make_token(self.paul_m)[1])

    def test_ambassador(self) -> None:
        self.assert_contract_kept(make_token(self.amy_m)[1])
