from django.contrib.auth.backends import ModelBackend

from fangkong.core.http import client_ip

from .services import check_login


class LockoutBackend(ModelBackend):
    """Django's model backend with failure counting and temporary lockout."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        ip = client_ip(request) if request is not None else None
        user = check_login(username=username, password=password, ip=ip)
        return user if user is not None and self.user_can_authenticate(user) else None
