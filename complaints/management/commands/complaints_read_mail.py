"""Read the complaints address's Maildir: each message becomes a complaint (complaints.email_intake).

    python manage.py complaints_read_mail /var/mail/keluhan

Run it every few minutes (cron or a beat job). A message is removed once its complaint is
taken; one from an address no customer has goes to the Maildir's ``.unknown`` folder for
staff to look at; one that fails (a bug, the database away) stays in the inbox for the next run.
"""

import mailbox

from django.core.management.base import BaseCommand, CommandError

from complaints.email_intake import complaint_from_email


class Command(BaseCommand):
    help = "Take the complaints in a Maildir (one per email) and empty it."

    def add_arguments(self, parser):
        parser.add_argument("maildir")
        parser.add_argument("--limit", type=int, default=500, help="At most this many messages per run.")

    def handle(self, *args, maildir, limit, **options):
        try:
            box = mailbox.Maildir(maildir, create=False)
            keys = box.keys()[:limit]
        except (FileNotFoundError, mailbox.Error) as error:
            raise CommandError(f"Not a Maildir: {maildir} ({error})")
        counts = {"created": 0, "duplicate": 0, "unknown_sender": 0, "no_sender": 0, "failed": 0}
        unknown = None
        for key in keys:
            try:
                raw = box.get_bytes(key)
            except KeyError:  # taken by another run meanwhile
                continue
            try:
                result = complaint_from_email(raw=raw)
            except Exception as error:  # noqa: BLE001 — left in the inbox for the next run, said here
                counts["failed"] += 1
                self.stderr.write(f"{key}: {type(error).__name__}: {error}")
                continue
            counts[result.status] += 1
            if result.status in ("unknown_sender", "no_sender"):
                if unknown is None:
                    unknown = box.add_folder("unknown") if "unknown" not in box.list_folders() \
                        else box.get_folder("unknown")
                unknown.add(raw)
            box.discard(key)
        self.stdout.write(", ".join(f"{name}: {n}" for name, n in counts.items()))
