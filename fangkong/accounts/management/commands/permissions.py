from django.core.management.base import BaseCommand

from fangkong.accounts.permissions import markdown_matrix


class Command(BaseCommand):
    help = "Print the permission matrix (docs/permissions.md is this output)."

    def add_arguments(self, parser):
        parser.add_argument("--markdown", action="store_true")

    def handle(self, *args, **options):
        self.stdout.write(markdown_matrix(), ending="")
