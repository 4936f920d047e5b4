--
-- PostgreSQL database dump
--

\restrict jjszivlY6NU6xnrvNLuMq2uAOf5ybGEdtVG6SMvdE7bm4FSodAUTO3G9UbZB6i3

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA public;


--
-- Name: SCHEMA public; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA public IS 'standard public schema';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: access; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.access (
    kind character varying(8) NOT NULL,
    id bigint NOT NULL,
    added_at double precision NOT NULL
);


--
-- Name: answer_messages; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.answer_messages (
    chat_id bigint NOT NULL,
    message_id bigint NOT NULL,
    answer_id bigint NOT NULL
);


--
-- Name: answers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.answers (
    id bigint NOT NULL,
    at double precision NOT NULL,
    chat_id bigint NOT NULL,
    chat_type character varying(16) NOT NULL,
    user_id bigint,
    language character varying(16) NOT NULL,
    mode character varying(16) NOT NULL,
    found boolean NOT NULL,
    latency_ms double precision NOT NULL,
    first_reply_ms double precision,
    sources text NOT NULL,
    question text,
    answer text,
    update_id bigint
);


--
-- Name: answers_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.answers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: answers_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.answers_id_seq OWNED BY public.answers.id;


--
-- Name: channels; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.channels (
    chat_id bigint NOT NULL,
    title text NOT NULL,
    username text DEFAULT ''::text NOT NULL,
    added_by bigint NOT NULL,
    added_at double precision NOT NULL
);


--
-- Name: channels_chat_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.channels_chat_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: channels_chat_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.channels_chat_id_seq OWNED BY public.channels.chat_id;


--
-- Name: chat_settings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.chat_settings (
    chat_id bigint NOT NULL,
    mode character varying(16) DEFAULT 'mention'::character varying NOT NULL,
    length character varying(16) DEFAULT 'normal'::character varying NOT NULL,
    language character varying(16) DEFAULT ''::character varying NOT NULL
);


--
-- Name: chat_settings_chat_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.chat_settings_chat_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: chat_settings_chat_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.chat_settings_chat_id_seq OWNED BY public.chat_settings.chat_id;


--
-- Name: feedback; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.feedback (
    answer_id bigint NOT NULL,
    user_id bigint NOT NULL,
    helpful boolean NOT NULL,
    at double precision NOT NULL,
    update_id bigint DEFAULT '0'::bigint NOT NULL
);


--
-- Name: history; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.history (
    answer_id bigint NOT NULL,
    chat_id bigint NOT NULL,
    user_id bigint,
    at double precision NOT NULL,
    question text NOT NULL,
    answer text NOT NULL
);


--
-- Name: history_answer_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.history_answer_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: history_answer_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.history_answer_id_seq OWNED BY public.history.answer_id;


--
-- Name: inbox; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.inbox (
    update_id bigint NOT NULL,
    status character varying(8) NOT NULL,
    owner character varying(128) NOT NULL,
    claimed_at double precision NOT NULL,
    payload text
);


--
-- Name: inbox_update_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.inbox_update_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: inbox_update_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.inbox_update_id_seq OWNED BY public.inbox.update_id;


--
-- Name: meta; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.meta (
    key character varying(64) NOT NULL,
    value text NOT NULL
);


--
-- Name: rate_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rate_events (
    id bigint NOT NULL,
    key character varying(64) NOT NULL,
    at double precision NOT NULL
);


--
-- Name: rate_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.rate_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: rate_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.rate_events_id_seq OWNED BY public.rate_events.id;


--
-- Name: rate_notices; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.rate_notices (
    key character varying(64) NOT NULL,
    at double precision NOT NULL
);


--
-- Name: subscriptions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.subscriptions (
    chat_id bigint NOT NULL,
    at character varying(5) NOT NULL,
    tz character varying(64) NOT NULL,
    lang character varying(16) NOT NULL,
    added_by bigint NOT NULL,
    last_period character varying(10) DEFAULT ''::character varying NOT NULL,
    last_sent_at double precision DEFAULT '0'::double precision NOT NULL
);


--
-- Name: subscriptions_chat_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.subscriptions_chat_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: subscriptions_chat_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.subscriptions_chat_id_seq OWNED BY public.subscriptions.chat_id;


--
-- Name: answers id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.answers ALTER COLUMN id SET DEFAULT nextval('public.answers_id_seq'::regclass);


--
-- Name: channels chat_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.channels ALTER COLUMN chat_id SET DEFAULT nextval('public.channels_chat_id_seq'::regclass);


--
-- Name: chat_settings chat_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_settings ALTER COLUMN chat_id SET DEFAULT nextval('public.chat_settings_chat_id_seq'::regclass);


--
-- Name: history answer_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.history ALTER COLUMN answer_id SET DEFAULT nextval('public.history_answer_id_seq'::regclass);


--
-- Name: inbox update_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.inbox ALTER COLUMN update_id SET DEFAULT nextval('public.inbox_update_id_seq'::regclass);


--
-- Name: rate_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rate_events ALTER COLUMN id SET DEFAULT nextval('public.rate_events_id_seq'::regclass);


--
-- Name: subscriptions chat_id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscriptions ALTER COLUMN chat_id SET DEFAULT nextval('public.subscriptions_chat_id_seq'::regclass);


--
-- Data for Name: access; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.access VALUES ('allow', -1001, 1796619549.140067);
INSERT INTO public.access VALUES ('allow', -1002, 1796619549.141401);
INSERT INTO public.access VALUES ('deny', 666, 1796619549.1423457);


--
-- Data for Name: answer_messages; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: answers; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: channels; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.channels VALUES (-100777, 'Briefings', 'briefings', 42, 1796619549.1427345);


--
-- Data for Name: chat_settings; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.chat_settings VALUES (-1001, 'all', 'normal', 'de');


--
-- Data for Name: feedback; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: history; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: inbox; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: meta; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.meta VALUES ('schema_version', '3');


--
-- Data for Name: rate_events; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: rate_notices; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: subscriptions; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.subscriptions VALUES (-1001, '08:00', 'Europe/Berlin', 'de', 42, '', 0);


--
-- Name: answers_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.answers_id_seq', 1, false);


--
-- Name: channels_chat_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.channels_chat_id_seq', 1, false);


--
-- Name: chat_settings_chat_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.chat_settings_chat_id_seq', 1, false);


--
-- Name: history_answer_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.history_answer_id_seq', 1, false);


--
-- Name: inbox_update_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.inbox_update_id_seq', 1, false);


--
-- Name: rate_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.rate_events_id_seq', 1, false);


--
-- Name: subscriptions_chat_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.subscriptions_chat_id_seq', 1, false);


--
-- Name: access access_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.access
    ADD CONSTRAINT access_pkey PRIMARY KEY (kind, id);


--
-- Name: answer_messages answer_messages_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.answer_messages
    ADD CONSTRAINT answer_messages_pkey PRIMARY KEY (chat_id, message_id);


--
-- Name: answers answers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.answers
    ADD CONSTRAINT answers_pkey PRIMARY KEY (id);


--
-- Name: channels channels_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.channels
    ADD CONSTRAINT channels_pkey PRIMARY KEY (chat_id);


--
-- Name: chat_settings chat_settings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.chat_settings
    ADD CONSTRAINT chat_settings_pkey PRIMARY KEY (chat_id);


--
-- Name: feedback feedback_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.feedback
    ADD CONSTRAINT feedback_pkey PRIMARY KEY (answer_id, user_id);


--
-- Name: history history_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.history
    ADD CONSTRAINT history_pkey PRIMARY KEY (answer_id);


--
-- Name: inbox inbox_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.inbox
    ADD CONSTRAINT inbox_pkey PRIMARY KEY (update_id);


--
-- Name: meta meta_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.meta
    ADD CONSTRAINT meta_pkey PRIMARY KEY (key);


--
-- Name: rate_events rate_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rate_events
    ADD CONSTRAINT rate_events_pkey PRIMARY KEY (id);


--
-- Name: rate_notices rate_notices_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.rate_notices
    ADD CONSTRAINT rate_notices_pkey PRIMARY KEY (key);


--
-- Name: subscriptions subscriptions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.subscriptions
    ADD CONSTRAINT subscriptions_pkey PRIMARY KEY (chat_id);


--
-- Name: history_chat; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX history_chat ON public.history USING btree (chat_id, at);


--
-- Name: ix_answers_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_answers_at ON public.answers USING btree (at);


--
-- Name: ix_inbox_claimed_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX ix_inbox_claimed_at ON public.inbox USING btree (claimed_at);


--
-- Name: rate_key_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX rate_key_at ON public.rate_events USING btree (key, at);


--
-- PostgreSQL database dump complete
--

\unrestrict jjszivlY6NU6xnrvNLuMq2uAOf5ybGEdtVG6SMvdE7bm4FSodAUTO3G9UbZB6i3

