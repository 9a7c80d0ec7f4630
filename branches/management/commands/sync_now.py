import json

from django.core.management.base import BaseCommand, CommandError

from branches import client


class Command(BaseCommand):
    help = "Branch instance: push this branch's changes to head office, then pull head office's."

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, **options):
        try:
            result = client.run(batch_size=options["batch_size"])
        except client.SyncFailed as e:
            raise CommandError(str(e))
        self.stdout.write(json.dumps(result))
