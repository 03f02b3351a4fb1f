-- A venue's check-ins are found through their presences (presence_place_start_idx),
-- which hold the same venue and arrival: the check-in's own index on (place_id,
-- arrived_at) was one more index entry at a random page for every check-in, and the
-- log of every group commit carried that page (issue 10, throughput). The check-in of
-- a presence is found by presence_id, an index that grows at its end; it also lets
-- the retention purge delete presences without scanning check_in for each.
drop index check_in_place_idx;
create index check_in_presence_idx on check_in (presence_id);
