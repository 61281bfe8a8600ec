// The player's draft: what the athlete typed or chose that the session state does not hold
// (the set being entered, the exercise shown). Kept in localStorage on every change, synced
// to the server; on load the newer of the two wins, the server's when it is newer or as new.

const PREFIX = "setpoint.draft.";

/** The local draft record: `{session_id, revision, updated_at, synced, draft}`, where
 * `revision` is the server revision it is based on and `updated_at` is in epoch seconds. */
export function loadLocal(storage, sessionId) {
  try {
    const record = JSON.parse(storage.getItem(PREFIX + sessionId) ?? "null");
    return record && record.session_id === sessionId ? record : null;
  } catch {
    return null;
  }
}

export function saveLocal(storage, record) {
  storage.setItem(PREFIX + record.session_id, JSON.stringify(record));
}

export function clearLocal(storage, sessionId) {
  storage.removeItem(PREFIX + sessionId);
}

/** The draft to hydrate from, given the local record and the server's draft document
 * (`{revision, updated_at: ISO string or null, draft}`). The result is a local record based on
 * the server's revision; `synced` is false when local changes still have to be sent. */
export function pickDraft(sessionId, local, server) {
  const serverRevision = server ? server.revision : 0;
  const serverAt = server && server.updated_at ? Date.parse(server.updated_at) / 1000 : null;
  const fromServer = {
    session_id: sessionId,
    revision: serverRevision,
    updated_at: serverAt ?? 0,
    synced: true,
    draft: server ? server.draft : null,
  };
  if (!local || local.draft === null) return fromServer;
  if (!server || server.draft === null) return { ...local, revision: serverRevision };
  if (serverAt !== null && serverAt >= local.updated_at) return fromServer;
  return { ...local, revision: serverRevision, synced: false };
}

/** A new local record after a change made at `now` (epoch seconds, server time). */
export function changed(record, draft, now) {
  return { ...record, draft, updated_at: now, synced: false };
}
