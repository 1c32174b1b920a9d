/*
 * Finding or opening the conversation a message belongs to, in its one home (it was restated in
 * ventros_ingest_message's step 4 and in services/sessions/open.ts): the contact's active session on the channel,
 * unless it idled past its timeout — then ventros_expire_session (0007, the expiry rule) ends it and a new one opens.
 * Callers are inbound ingestion (ventros_ingest_message) and outbound sends (ventros_queue_outbound below), so both
 * directions share one rule. Safe under concurrency: the partial unique index allows one active session per contact
 * and channel, so a racing insert does nothing and the next attempt reads (and locks) the winner's row.
 * Returns {session_id, opened, outbox_ids}: the ids of the session.ended / session.created events it wrote, for the
 * caller to publish after commit.
 */
CREATE OR REPLACE FUNCTION ventros_open_session(p_tenant uuid, p_project uuid, p_contact uuid, p_channel uuid, p_at timestamptz,
                                                p_timeout_minutes int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_session sessions%ROWTYPE;
  v_expiry jsonb;
  v_outbox uuid[] := '{}';
  v_id uuid;
BEGIN
  FOR attempt IN 1..3 LOOP
    -- The tenant/project predicates change nothing for a contact of the project; they keep every read scoped.
    SELECT * INTO v_session FROM sessions
    WHERE contact_id = p_contact AND channel_id = p_channel AND status = 'active'
      AND tenant_id = p_tenant AND project_id = p_project
    FOR UPDATE;
    IF FOUND THEN
      v_expiry := ventros_expire_session(v_session.id, p_at);
      IF v_expiry->>'state' = 'active' THEN
        RETURN jsonb_build_object('session_id', v_session.id, 'opened', false, 'outbox_ids', to_jsonb(v_outbox));
      END IF;
      -- Only an outbox id says that this call did the expiring (someone else may have ended it meanwhile).
      IF v_expiry ? 'outbox_id' THEN
        v_outbox := v_outbox || (v_expiry->>'outbox_id')::uuid;
      END IF;
    END IF;
    INSERT INTO sessions (id, tenant_id, project_id, contact_id, channel_id, status, started_at, last_activity_at, timeout_minutes)
    VALUES (ventros_uuidv7(), p_tenant, p_project, p_contact, p_channel, 'active', p_at, p_at, p_timeout_minutes)
    ON CONFLICT (contact_id, channel_id) WHERE status = 'active' DO NOTHING
    RETURNING * INTO v_session;
    IF FOUND THEN
      v_id := ventros_uuidv7();
      INSERT INTO outbox (id, tenant_id, project_id, topic, payload)
      VALUES (v_id, p_tenant, p_project, 'session.created', jsonb_build_object('sessionId', v_session.id, 'contactId', p_contact, 'channelId', p_channel));
      v_outbox := v_outbox || v_id;
      RETURN jsonb_build_object('session_id', v_session.id, 'opened', true, 'outbox_ids', to_jsonb(v_outbox));
    END IF;
  END LOOP;
  -- Three lost races in a row: give up rather than write a message without a conversation.
  RAISE EXCEPTION 'could not open a session after concurrent attempts';
END $$;
--> statement-breakpoint
-- Inbound ingestion (latest: 0010), unchanged except step 4, which now calls ventros_open_session instead of restating
-- the find-or-open rule (it only needs the session's id from it).
CREATE OR REPLACE FUNCTION ventros_ingest_message(input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_tenant uuid := (input->>'tenant_id')::uuid;
  v_project uuid := (input->>'project_id')::uuid;
  v_channel uuid := (input->>'channel_id')::uuid;
  v_at timestamptz := coalesce((input->>'at')::timestamptz, now());
  v_msg jsonb := input->'message';
  v_cmid text := v_msg->>'channel_message_id';
  v_direction message_direction := (v_msg->>'direction')::message_direction;
  v_contact uuid;
  v_contact_created boolean := false;
  v_session uuid;
  v_session_opened boolean := false;
  v_message uuid;
  v_outbox uuid[] := '{}';
  v_id uuid;
  v_ident jsonb;
  v_new_contact uuid;
  v_open jsonb;
BEGIN
  -- 1. Delivery-level dedupe (the WAHA envelope id).
  IF input->>'dedupe_key' IS NOT NULL THEN
    INSERT INTO processed_webhook_events (id, source, dedupe_key, tenant_id, project_id, event_type)
    VALUES (ventros_uuidv7(), 'waha', input->>'dedupe_key', v_tenant, v_project, coalesce(input->>'event_type', 'message'))
    ON CONFLICT (source, dedupe_key) DO NOTHING;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'duplicate_delivery');
    END IF;
  END IF;

  -- 2. Message-level dedupe (message and message.any carry the same payload.id).
  SELECT id INTO v_message FROM messages WHERE channel_id = v_channel AND channel_message_id = v_cmid;
  IF FOUND THEN
    RETURN jsonb_build_object('outcome', 'duplicate_message', 'message_id', v_message);
  END IF;

  -- 3. Contact: the first identifier that is known wins; the others are linked to it.
  SELECT ci.contact_id INTO v_contact
  FROM jsonb_array_elements(input->'identifiers') WITH ORDINALITY AS i(val, ord)
  JOIN contact_identifiers ci
    ON ci.project_id = v_project AND ci.kind = (i.val->>'kind')::identifier_kind AND ci.value = i.val->>'value'
  ORDER BY i.ord LIMIT 1;
  IF v_contact IS NULL THEN
    v_new_contact := ventros_uuidv7();
    INSERT INTO contacts (id, tenant_id, project_id, name, phone, source, first_interaction_at, last_interaction_at)
    VALUES (v_new_contact, v_tenant, v_project, nullif(input->>'contact_name', ''), nullif(input->>'contact_phone', ''), 'whatsapp', v_at, v_at);
    v_contact := v_new_contact;
  END IF;
  FOR v_ident IN SELECT * FROM jsonb_array_elements(input->'identifiers') LOOP
    INSERT INTO contact_identifiers (id, tenant_id, project_id, contact_id, kind, value)
    VALUES (ventros_uuidv7(), v_tenant, v_project, v_contact, (v_ident->>'kind')::identifier_kind, v_ident->>'value')
    ON CONFLICT (project_id, kind, value) DO NOTHING;
  END LOOP;
  IF v_new_contact IS NOT NULL THEN
    -- A concurrent delivery may have created the same person first: adopt its contact, drop ours.
    SELECT ci.contact_id INTO v_contact
    FROM jsonb_array_elements(input->'identifiers') WITH ORDINALITY AS i(val, ord)
    JOIN contact_identifiers ci
      ON ci.project_id = v_project AND ci.kind = (i.val->>'kind')::identifier_kind AND ci.value = i.val->>'value'
    ORDER BY i.ord LIMIT 1;
    IF v_contact <> v_new_contact THEN
      DELETE FROM contacts WHERE id = v_new_contact;
    ELSE
      v_contact_created := true;
      INSERT INTO contact_events (id, tenant_id, project_id, contact_id, type, title, payload, actor_type, occurred_at)
      VALUES (ventros_uuidv7(), v_tenant, v_project, v_contact, 'contact.created', 'Contact created from WhatsApp',
              jsonb_build_object('channelId', v_channel), 'contact', v_at);
      v_id := ventros_uuidv7();
      INSERT INTO outbox (id, tenant_id, project_id, topic, payload)
      VALUES (v_id, v_tenant, v_project, 'contact.created', jsonb_build_object('contactId', v_contact, 'source', 'whatsapp'));
      v_outbox := v_outbox || v_id;
    END IF;
  END IF;

  -- 4. Session: the active one, unless it idled past its timeout (ventros_open_session: the rule's one owner).
  v_open := ventros_open_session(v_tenant, v_project, v_contact, v_channel, v_at, coalesce((input->>'timeout_minutes')::int, 30));
  v_session := (v_open->>'session_id')::uuid;
  v_session_opened := (v_open->>'opened')::boolean;
  v_outbox := v_outbox || ARRAY(SELECT jsonb_array_elements_text(v_open->'outbox_ids')::uuid);

  -- 5. The message itself; a concurrent twin that got here first makes this a duplicate.
  v_message := ventros_uuidv7();
  INSERT INTO messages (id, tenant_id, project_id, session_id, contact_id, channel_id, direction, content_type, status, body,
                        media_url, media_mimetype, media_filename, reply_to_channel_message_id, reply_to_message_id,
                        channel_message_id, from_me, participant, metadata, sent_at)
  VALUES (v_message, v_tenant, v_project, v_session, v_contact, v_channel, v_direction, (v_msg->>'content_type')::content_type,
          (v_msg->>'status')::message_status, v_msg->>'body', v_msg->>'media_url', v_msg->>'media_mimetype', v_msg->>'media_filename',
          v_msg->>'reply_to_channel_message_id',
          (SELECT r.id FROM messages r WHERE r.channel_id = v_channel AND r.channel_message_id = v_msg->>'reply_to_channel_message_id'),
          v_cmid, coalesce((v_msg->>'from_me')::boolean, false), v_msg->>'participant', coalesce(v_msg->'metadata', '{}'::jsonb), v_at)
  ON CONFLICT (channel_id, channel_message_id) DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'ventros:duplicate_message';
  END IF;

  UPDATE sessions SET
    message_count = message_count + 1,
    inbound_count = inbound_count + CASE WHEN v_direction = 'inbound' THEN 1 ELSE 0 END,
    outbound_count = outbound_count + CASE WHEN v_direction = 'outbound' THEN 1 ELSE 0 END,
    first_response_at = CASE WHEN v_direction = 'outbound' AND first_response_at IS NULL AND inbound_count > 0 THEN v_at ELSE first_response_at END,
    last_activity_at = greatest(last_activity_at, v_at),
    updated_at = now()
  WHERE id = v_session;
  UPDATE contacts SET
    last_interaction_at = greatest(coalesce(last_interaction_at, v_at), v_at),
    first_interaction_at = least(coalesce(first_interaction_at, v_at), v_at),
    name = coalesce(name, nullif(input->>'contact_name', '')),
    updated_at = now()
  WHERE id = v_contact;

  v_id := ventros_uuidv7();
  INSERT INTO outbox (id, tenant_id, project_id, topic, payload)
  VALUES (v_id, v_tenant, v_project, 'message.created', jsonb_build_object(
    'messageId', v_message, 'sessionId', v_session, 'contactId', v_contact, 'channelId', v_channel,
    'direction', v_direction, 'contentType', v_msg->>'content_type'));
  v_outbox := v_outbox || v_id;

  RETURN jsonb_build_object('outcome', 'created', 'message_id', v_message, 'session_id', v_session, 'contact_id', v_contact,
                            'contact_created', v_contact_created, 'session_opened', v_session_opened, 'outbox_ids', to_jsonb(v_outbox),
                            'outbox', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'topic', o.topic, 'payload', o.payload)
                                                                 ORDER BY o.id), '[]'::jsonb)
                                       FROM outbox o WHERE o.id = ANY (v_outbox)));
EXCEPTION
  -- The concurrent twin committed first: undo everything this call did and report the duplicate.
  WHEN raise_exception THEN
    IF SQLERRM = 'ventros:duplicate_message' THEN
      RETURN jsonb_build_object('outcome', 'duplicate_message',
        'message_id', (SELECT id FROM messages WHERE channel_id = v_channel AND channel_message_id = v_cmid));
    END IF;
    RAISE;
END $$;
--> statement-breakpoint
/*
 * Queues one outbound message — session (found, expired or opened by ventros_open_session), the message row
 * (status queued), the session's counters, the contact's last interaction and the message.created / message.queued
 * events — atomically, so the Worker's send (services/messages/send.ts) costs one round trip for its writes: it
 * runs this in an HTTP batch followed by a select of the message row, which the batch's transaction lets read what
 * this wrote. The Worker has already checked access, channel, agent and replied message; this only makes it durable.
 * `message_id` is the caller's: when a message with that id exists in the project (a repeated AI reply, keyed by its
 * execution) nothing is written and the caller returns that message, unchanged.
 * The events' ids and payloads come from the caller (it built them, so it publishes them from memory); the session
 * id is known only here, so it is added to their payloads. The session events this wrote are returned in full, for
 * the same reason.
 */
CREATE OR REPLACE FUNCTION ventros_queue_outbound(input jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_tenant uuid := (input->>'tenant_id')::uuid;
  v_project uuid := (input->>'project_id')::uuid;
  v_contact uuid := (input->>'contact_id')::uuid;
  v_channel uuid := (input->>'channel_id')::uuid;
  v_agent uuid := (input->>'agent_id')::uuid;
  v_message uuid := (input->>'message_id')::uuid;
  v_at timestamptz := coalesce((input->>'at')::timestamptz, now());
  v_msg jsonb := input->'message';
  v_open jsonb;
  v_session uuid;
  v_outbox uuid[];
BEGIN
  PERFORM 1 FROM messages WHERE id = v_message AND tenant_id = v_tenant AND project_id = v_project;
  IF FOUND THEN
    RETURN jsonb_build_object('outcome', 'existing');
  END IF;

  v_open := ventros_open_session(v_tenant, v_project, v_contact, v_channel, v_at, coalesce((input->>'timeout_minutes')::int, 30));
  v_session := (v_open->>'session_id')::uuid;
  v_outbox := ARRAY(SELECT jsonb_array_elements_text(v_open->'outbox_ids')::uuid);

  INSERT INTO messages (id, tenant_id, project_id, session_id, contact_id, channel_id, direction, content_type, status, body,
                        media_url, media_mimetype, media_filename, reply_to_message_id, reply_to_channel_message_id, from_me,
                        sent_by_agent_id, metadata)
  VALUES (v_message, v_tenant, v_project, v_session, v_contact, v_channel, 'outbound', (v_msg->>'content_type')::content_type,
          'queued', v_msg->>'body', v_msg->>'media_url', v_msg->>'media_mimetype', v_msg->>'media_filename',
          (v_msg->>'reply_to_message_id')::uuid, v_msg->>'reply_to_channel_message_id', true, v_agent,
          coalesce(v_msg->'metadata', '{}'::jsonb));

  -- A first response is the first outbound message after the customer wrote; an agent sending takes the conversation.
  UPDATE sessions SET
    message_count = message_count + 1,
    outbound_count = outbound_count + 1,
    last_activity_at = v_at,
    first_response_at = coalesce(first_response_at, CASE WHEN inbound_count > 0 THEN v_at END),
    agent_id = coalesce(v_agent, agent_id),
    updated_at = v_at
  WHERE id = v_session AND tenant_id = v_tenant AND project_id = v_project;
  UPDATE contacts SET last_interaction_at = v_at, updated_at = now()
  WHERE id = v_contact AND tenant_id = v_tenant AND project_id = v_project;

  INSERT INTO outbox (id, tenant_id, project_id, topic, payload)
  SELECT (e.val->>'id')::uuid, v_tenant, v_project, e.val->>'topic', (e.val->'payload') || jsonb_build_object('sessionId', v_session)
  FROM jsonb_array_elements(input->'events') WITH ORDINALITY AS e(val, ord)
  ORDER BY e.ord;

  -- In the order they were written (session.ended before session.created): ids made in the same millisecond do not sort.
  RETURN jsonb_build_object('outcome', 'created', 'session_id', v_session,
                            'outbox', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', o.id, 'topic', o.topic, 'payload', o.payload)
                                                                 ORDER BY u.n), '[]'::jsonb)
                                       FROM unnest(v_outbox) WITH ORDINALITY AS u(id, n) JOIN outbox o ON o.id = u.id));
END $$;
