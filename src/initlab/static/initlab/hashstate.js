/**
 * A widget's settings in the page address: ``#<id>:key=value&key=value``. Shared by the explorer
 * and the playground, each with its own keys and its own check of the decoded settings.
 */

/** ``encode(state)`` writes ``keys`` as a query; ``decode(query)`` reads them back through ``check``. */
export function hashCodec(keys, check) {
  const encode = (s) => keys.map((k) => `${k}=${encodeURIComponent(s[k])}`).join("&");
  const decode = (query) => {
    const out = {};
    for (const part of query.split("&")) {
      const [k, v] = part.split("=");
      if (keys.includes(k) && v !== undefined) out[k] = decodeURIComponent(v);
    }
    return check(out);
  };
  return { encode, decode };
}
