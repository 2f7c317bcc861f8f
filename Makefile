# The front door. Every target installs what it needs: a fresh clone needs no other step.
SHELL := /bin/bash
.DEFAULT_GOAL := test
DEPS := node_modules/.sqlpin-installed
TAP := npx tap

$(DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

.PHONY: test test-unit test-mysql test-postgres test-docs test-drivers chaos fuzz test-package test-postgres-matrix test-engines engines-up engines-down pg-cluster typecheck lint format build demo bench soak mutation clean

## Every test: unit, both dialects against the real servers, the examples, the docs' code blocks.
test: $(DEPS)
	$(TAP) 'test/unit/*.test.ts' 'test/mysql/*.test.ts' 'test/postgres/*.test.ts' 'test/examples/*.test.ts' 'test/docs/*.test.ts'

test-unit: $(DEPS)
	$(TAP) 'test/unit/*.test.ts'

test-mysql: $(DEPS)
	$(TAP) 'test/mysql/*.test.ts'

test-postgres: $(DEPS)
	$(TAP) 'test/postgres/*.test.ts'

## Every code block of README.md and docs/*.md, compiled and run on the dialect it names.
test-docs: $(DEPS)
	$(TAP) 'test/docs/*.test.ts'

## make test with the oldest pg and mysql2 that peerDependencies allow, on a copy of the tree in a temp dir.
test-drivers: $(DEPS)
	.ci/oldest-drivers

## Random faults (timeouts, kills, cancels, cut and stalled links, held locks) against random work on
## both dialects, every invariant checked after every step. The settings are printed first; set them to
## replay a run: CHAOS_SEED, CHAOS_RUNS, CHAOS_STEPS, CHAOS_FAMILIES, CHAOS_IGNORE, CHAOS_SHRINK,
## CHAOS_BUDGET_MS, CHAOS_PATH (test/chaos/settings.ts says what each does).
chaos: $(DEPS)
	CHAOS_RUNS=$${CHAOS_RUNS:-25} CHAOS_STEPS=$${CHAOS_STEPS:-6} CHAOS_BUDGET_MS=$${CHAOS_BUDGET_MS:-300000} \
	  $(TAP) 'test/chaos/*.test.ts'

## The differential fuzzer for truncate (test/fuzz/README.md): random schemas and data; sqlpin with every strategy and the
## raw statements on identical copies, compared table by table, on both dialects. The settings are printed first; set them
## to replay a run: SQLPIN_FUZZ_SECONDS (per dialect, 300 here), SQLPIN_FUZZ_SEED, SQLPIN_FUZZ_FAMILY, SQLPIN_FUZZ_PATH.
fuzz: $(DEPS)
	SQLPIN_FUZZ_SECONDS=$${SQLPIN_FUZZ_SECONDS:-300} $(TAP) 'test/fuzz/*.test.ts'

## The package as users install it: npm pack, installs from git and a path, consumer projects outside the repo, publint, attw.
test-package: $(DEPS)
	$(TAP) --timeout 600 'test/package/*.test.ts'

## The PostgreSQL suite on 13, 15 (the main server), 16, 17 and 18; VERSIONS="13 18" narrows it.
test-postgres-matrix: $(DEPS)
	npx tsx test/engines/postgres-matrix.ts

## Tests on throwaway engines (Galera, PgBouncer, replica pairs): slow, so not part of `make test`.
test-engines: $(DEPS)
	$(TAP) --timeout 300 'test/engines/*.test.ts'

## Throwaway engines for people: URLs printed, pids kept in /tmp/sqlpin-engines/state.json.
engines-up: $(DEPS)
	npx tsx test/engines/cli.ts up

engines-down: $(DEPS)
	npx tsx test/engines/cli.ts down

## One throwaway PostgreSQL of a major until Ctrl-C: make pg-cluster VERSION=18
pg-cluster: $(DEPS)
	npx tsx test/engines/cli.ts pg $(or $(VERSION),18)

typecheck: $(DEPS)
	npx tsc -p tsconfig.json --noEmit

## Formatting and lint rules (Biome, biome.jsonc); warnings fail too. `make format` writes formatting and safe fixes.
lint: $(DEPS)
	npx biome ci --error-on-warnings .

format: $(DEPS)
	npx biome check --write .

## dist/ from the sources (npm also runs it as prepare: npm ci, npm pack, installs from git or a path).
build: $(DEPS)
	node scripts/build.mjs

## The main job: the bug and the fix, on both databases.
demo: $(DEPS)
	npx tsx examples/demo.ts

## Benchmarks against the raw drivers (built dist/ and TypeScript sources).
bench: $(DEPS) build
	npx tsx bench/run.ts

## The long soak whose figures the README quotes.
soak: $(DEPS)
	SQLPIN_SOAK=long $(TAP) --timeout 900 test/mysql/soak.test.ts test/postgres/soak.test.ts

## Mutation testing of the core (lib/, not dialects/) with the unit tests only, on Node 24; not part of CI.
## Incremental: a rerun tests only mutants whose code or tests changed. Score per file printed; the HTML
## report is reports/mutation/index.html. Settings in stryker.config.json.
mutation: $(DEPS)
	.ci/with-node 24 npx stryker run

clean:
	rm -rf dist .tap .stryker-tmp
