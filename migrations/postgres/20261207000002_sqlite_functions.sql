-- The few SQLite functions the stores' shared statements call, defined for
-- PostgreSQL with the same names and the meaning the stores use, so that
-- one statement text runs on both backends (see docs/ARCHITECTURE.md,
-- "SQLite and PostgreSQL: how the dialects are kept"). Each covers only the
-- forms the stores write; anything else is an error, not a guess.

-- json_each(list): the elements of a JSON array as rows of text, as
-- SQLite's json_each(...).value reads an id or name list bound as one JSON
-- text (`db::id_list`). PostgreSQL's own json_each takes json and reads
-- objects; this one takes text, which is what a bound string is.
-- Statements compare `cast(value as bigint)` for ids.
create function json_each(list text) returns table (value text)
    language sql immutable strict parallel safe
    as $$ select json_array_elements_text(cast(list as json)) $$;

-- strftime('%s', t): an RFC 3339 time as Unix seconds, text as SQLite
-- returns it. Only '%s' is defined. Stable, not immutable: a time without
-- an offset would be read in the session's time zone (the stored ones all
-- end in Z).
create function strftime(format text, t text) returns text
    language plpgsql stable strict parallel safe
    as $$
begin
    if format <> '%s' then
        raise exception 'strftime: only ''%%s'' is defined here, not %', format;
    end if;
    return cast(floor(extract(epoch from cast(t as timestamptz))) as bigint)::text;
end
$$;

-- json_extract(doc, '$.key'): one top-level key of a JSON object, as text.
create function json_extract(doc text, path text) returns text
    language plpgsql immutable strict parallel safe
    as $$
begin
    if path !~ '^\$\.[A-Za-z_][A-Za-z0-9_]*$' then
        raise exception 'json_extract: only ''$.key'' paths are defined here, not %', path;
    end if;
    return cast(doc as json) ->> substr(path, 3);
end
$$;

-- min(a, b) and max(a, b) of two values, as SQLite's scalar min and max
-- (PostgreSQL's least and greatest, which ignore nulls where SQLite
-- returns null: the stores call them on non-null columns only).
create function min(a anycompatible, b anycompatible) returns anycompatible
    language sql immutable parallel safe
    as $$ select case when a is null or b is null then null when a <= b then a else b end $$;
create function max(a anycompatible, b anycompatible) returns anycompatible
    language sql immutable parallel safe
    as $$ select case when a is null or b is null then null when a >= b then a else b end $$;
