-- An idempotency key now names a submission of one visitor: a retry is found among
-- that person's check-ins (check_in_person_key_idx), not in an index of every key
-- (issue 10, throughput; the same change as SQLite's 0013). PostgreSQL's transactions
-- run side by side (read committed), so here the index is unique: two submissions of
-- one key racing each other leave one check-in, and the other write fails with the key
-- conflict the application answers as a replay. NULL keys are distinct, so check-ins
-- without a key are not constrained.
drop index check_in_key_idx;
drop index check_in_person_idx;
create unique index check_in_person_key_idx on check_in (person_id, idempotency_key);
