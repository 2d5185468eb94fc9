-- Run once by the official postgres image on an empty data directory (docker-entrypoint-initdb.d):
-- one database per store; POSTGRES_DB (rasa) is Rasa's tracker store.
CREATE DATABASE orders;
CREATE DATABASE pricing;
CREATE DATABASE recommendations;
CREATE DATABASE retention;
CREATE DATABASE handoff;
