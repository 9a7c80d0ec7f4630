# The two commands (see README.md): make run, make test. Plus make bench.
.PHONY: run test bench

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh $(ARGS)

bench:
	bash scripts/bench.sh $(ARGS)
