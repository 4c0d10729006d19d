"""Create an admin account when there is none, and say how to log in."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand


class Command(BaseCommand):
    help = "Create the first admin (username 'admin') if no superuser exists yet."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        password_file = settings.DATA_DIR / "initial-admin-password"
        login_url = f"{settings.SITE_URL}{settings.LOGIN_URL}"
        if User.objects.filter(is_superuser=True).exists():
            hint = f" (first password in {password_file})" if password_file.exists() else ""
            self.stdout.write(f"Admin account exists. Log in at {login_url}{hint}")
            return
        password = os.environ.get("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(
            username="admin", email="", password=password, rank=User.Rank.ADMIN
        )
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created admin account.\n  Log in at {login_url}\n"
                f"  username: admin\n  password: {password}\n"
                f"  (also saved in {password_file}; change it with: "
                f"python manage.py changepassword admin)"
            )
        )
