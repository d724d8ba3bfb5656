from django.test import TestCase


class HealthzTests(TestCase):
    def test_healthz_answers_200_json_when_the_database_answers(self) -> None:
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual((body["status"], body["database"]), ("ok", "ok"))
        self.assertIsInstance(body["tasks"], dict)  # the background tasks' state
