# The two commands (see README.md): make run, make test. Plus make bench (not a test).
#   make test ARGS="-k customer -x"     extra pytest arguments
#   make bench ARGS="--sizes 10000"     extra arguments for manage.py bench
.PHONY: run test bench bench-sms

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(ARGS)

bench:
	bash scripts/bench.sh $(ARGS)

bench-sms:
	BENCH_COMMAND=bench_sms bash scripts/bench.sh $(ARGS)
