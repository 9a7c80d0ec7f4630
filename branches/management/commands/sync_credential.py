from django.core.management.base import BaseCommand, CommandError

from accounts.models import Branch
from branches import sync


class Command(BaseCommand):
    help = "Head office: issue a sync credential for a branch instance (printed once), or --revoke them all."

    def add_arguments(self, parser):
        parser.add_argument("branch", help="the branch's code, e.g. jks")
        parser.add_argument("--revoke", action="store_true", help="revoke every credential of the branch")

    def handle(self, *args, **options):
        branch = Branch.objects.filter(code=options["branch"]).first()
        if branch is None:
            raise CommandError(f"no branch with code {options['branch']!r}")
        if options["revoke"]:
            self.stdout.write(f"revoked {sync.credential_revoke(branch)} credential(s) of {branch.code}")
            return
        self.stdout.write(sync.credential_issue(branch))
