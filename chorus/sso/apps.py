from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "chorus.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self) -> None:
        from chorus.sso import receivers  # noqa: F401  (connects the sign-in receivers)
        from chorus.sso.saml import apply_clock_skew

        apply_clock_skew()
