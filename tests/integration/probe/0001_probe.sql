-- A tiny stand-in service for testing the shared library: notes are written with events, effects counted.
CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);
CREATE TABLE effects (note_event uuid NOT NULL, body text NOT NULL, times int NOT NULL DEFAULT 1);
