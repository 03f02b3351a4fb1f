-- Person search by name word (crates/store/src/persons.rs, search_persons): one row per
-- distinct word of each person's folded name, with the whole folded name beside it so
-- that the persons having a word come out of one index range already in name order. A
-- province-wide "nguyen" reads the first page and counts up to the cap from the index
-- instead of scanning every name with `like '%nguyen%'`.
--
-- Derived data, kept by the triggers below on every insert, including bulk loads
-- (`copy` fires the statement trigger once per load statement; a load into an empty
-- `person` defers the two indexes, see PERSON in persons.rs); hence no
-- created_at/updated_at of its own.
create table person_name_word (
    person_id   bigint not null,
    word        text not null,
    name_folded text not null
);

insert into person_name_word (person_id, word, name_folded)
select distinct p.id, w, p.name_folded
from person p, regexp_split_to_table(p.name_folded, ' ') w
where w <> '';

-- The persons having a word (or a word starting with a prefix), in name order.
create index person_name_word_idx on person_name_word (word, name_folded, person_id);
-- A person's words: keeps a prefix match to one row per person, serves the triggers.
create index person_name_word_person_idx on person_name_word (person_id, word);

create function person_name_word_insert() returns trigger language plpgsql as $$
begin
    insert into person_name_word (person_id, word, name_folded)
    select distinct n.id, w, n.name_folded
    from new_person n, regexp_split_to_table(n.name_folded, ' ') w
    where w <> '';
    return null;
end
$$;

create trigger person_name_word_insert after insert on person
    referencing new table as new_person
    for each statement execute function person_name_word_insert();

create function person_name_word_update() returns trigger language plpgsql as $$
begin
    delete from person_name_word where person_id = old.id;
    if tg_op = 'UPDATE' then
        insert into person_name_word (person_id, word, name_folded)
        select distinct new.id, w, new.name_folded
        from regexp_split_to_table(new.name_folded, ' ') w
        where w <> '';
    end if;
    return null;
end
$$;

create trigger person_name_word_update after update of name_folded on person
    for each row when (old.name_folded is distinct from new.name_folded)
    execute function person_name_word_update();

create trigger person_name_word_delete after delete on person
    for each row execute function person_name_word_update();

-- Statistics now, not when autovacuum comes round: the search counts on them.
analyze person_name_word;
