-- An idempotency key now names a submission of one visitor: a retry is found among
-- that person's check-ins (check_in_person_key_idx), not in an index of every key.
-- A unique index on the key alone put each check-in's entry at a random page, with a
-- uniqueness probe before it: the costliest of the check-in's indexes (issue 10,
-- throughput, docs/benchmarks.md section 9). The person's index now carries the key,
-- so the check-in has one index at a random page instead of two; it still serves the
-- foreign key and the retention purge (person_id first).
--
-- On SQLite a repeated key is refused by the write itself, which looks the visitor's
-- check-ins up inside its `begin immediate` transaction (crates/store/src/checkins.rs):
-- writers take turns, so no other write comes between the look-up and the insert.
drop index check_in_key_idx;
drop index check_in_person_idx;
create index check_in_person_key_idx on check_in (person_id, idempotency_key);
