# The two commands (see README.md): make run, make test. Plus make bench (not a test).
#   make test ARGS="-k customer -x"     extra pytest arguments
#   make bench ARGS="--sizes 10000"     extra arguments for manage.py bench
#   make messages                       bring locale/id up to date with the code, then translate
.PHONY: run run-branch test bench bench-sms messages

run:
	bash scripts/run.sh

# A branch's own instance (issue 16) beside a running `make run`: see README "Branch instances".
run-branch:
	bash scripts/run_branch.sh

test:
	bash scripts/test.sh $(ARGS)

bench:
	bash scripts/bench.sh $(ARGS)

bench-sms:
	BENCH_COMMAND=bench_sms bash scripts/bench.sh $(ARGS)

# New msgids land untranslated in locale/id/LC_MESSAGES/django.po; translate them, then
# compilemessages (bootstrap does it too when the .po is newer). tests/i18n checks both.
messages:
	.venv/bin/python manage.py makemessages -l id --no-obsolete --ignore=tests --ignore=test-artifacts \
		--ignore=static --ignore=docs --ignore=scripts
