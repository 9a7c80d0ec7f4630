import json

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Branch
from branches import sync


class Command(BaseCommand):
    help = ("Per synced model: row count and a digest of the rows as they travel (a branch's rows and "
            "all reference data with --branch). Equal output on both sides means equal data.")

    def add_arguments(self, parser):
        parser.add_argument("--branch", default=None)

    def handle(self, *args, **options):
        branch = None
        if options["branch"]:
            branch = Branch.objects.filter(code=options["branch"]).first()
            if branch is None:
                raise CommandError(f"no branch with code {options['branch']!r}")
        self.stdout.write(json.dumps(sync.checksums(branch), sort_keys=True))
