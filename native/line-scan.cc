// Native scan of one v2 export line (main/core/archive/import/line-scan.ts).
//
// JSON.parse is the largest cost of an import (≈ 4 µs for a 1.1 KB message line, most of it
// building objects the archive never reads). For the commonest line shape — an envelope
// {"type":"message"|"reaction","data":{...}} — this validates the whole line strictly (RFC 8259
// as JSON.parse applies it to UTF-8 text: any byte >= 0x80 inside strings, any \uXXXX escape,
// no control characters, no other whitespace) and reports the byte range and kind of each value
// the importer reads (KEYS). It never decides that a line is invalid: anything it does not fully
// vouch for (another shape, an error, a key written with escapes, a known key twice, deep
// nesting) returns 0 and the line takes the JSON.parse path, which also words every rejection.
#include <node_api.h>
#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace {
// STR: no escapes, ASCII only; STR_HI: no escapes, some bytes >= 0x80 (UTF-8 text).
enum Kind { STR = 1, STR_ESC, NUM, TRUE_, FALSE_, NULL_, OBJ_EMPTY, OBJ, ARR_EMPTY, ARR, STR_HI };
const char* KEYS[] = {"id", "text", "type", "cid", "created_at", "updated_at", "deleted_at", "parent_id", "user", "user_id",
                      "attachments", "latest_reactions", "reaction_counts", "pinned", "show_in_channel", "reply_count",
                      "message_text_updated_at", "channel", "message_id", "score"};
const int NKEYS = sizeof(KEYS) / sizeof(KEYS[0]);
// Key lengths, computed once (thread-safe: the import runs in worker threads, each loading this).
struct KeyLengths {
  size_t n[sizeof(KEYS) / sizeof(KEYS[0])];
  KeyLengths() { for (int i = 0; i < NKEYS; i++) n[i] = strlen(KEYS[i]); }
};
const KeyLengths KEYLEN_TABLE;
const size_t* const KEYLEN = KEYLEN_TABLE.n;

inline bool hex(uint8_t c) { return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'f'); }
inline const uint8_t* ws(const uint8_t* p, const uint8_t* e) {
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}
// p at '"'; returns past the closing quote or nullptr.
inline const uint8_t* str(const uint8_t* p, const uint8_t* e, bool& esc, bool& hi) {
  p++;
  esc = false;
  hi = false;
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
#endif
  while (p < e) {
#if defined(__SSE2__)
    // 16 bytes at a time while none is a quote, a backslash or a control character.
    while (e - p >= 16) {
      __m128i x = _mm_loadu_si128((const __m128i*)p);
      __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
                               _mm_andnot_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, space), x), _mm_set1_epi8(-1)));
      int bits = _mm_movemask_epi8(m);
      int high = _mm_movemask_epi8(x);  // bytes >= 0x80
      if (bits) {
        int at = __builtin_ctz(bits);
        if (high & ((1 << at) - 1)) hi = true;
        p += at;
        break;
      }
      if (high) hi = true;
      p += 16;
    }
    if (p >= e) return nullptr;
#endif
    uint8_t c = *p;
    if (c == '"') return p + 1;
    if (c == '\\') {
      esc = true;
      if (++p >= e) return nullptr;
      c = *p;
      if (c == 'u') {
        if (e - p < 5 || !hex(p[1]) || !hex(p[2]) || !hex(p[3]) || !hex(p[4])) return nullptr;
        p += 5;
        continue;
      }
      if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't') { p++; continue; }
      return nullptr;
    }
    if (c < 0x20) return nullptr;
    if (c >= 0x80) hi = true;
    p++;
  }
  return nullptr;
}
inline const uint8_t* num(const uint8_t* p, const uint8_t* e) {
  if (p < e && *p == '-') p++;
  if (p >= e) return nullptr;
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9') { while (p < e && *p >= '0' && *p <= '9') p++; }
  else return nullptr;
  if (p < e && *p == '.') {
    p++;
    if (p >= e || *p < '0' || *p > '9') return nullptr;
    while (p < e && *p >= '0' && *p <= '9') p++;
  }
  if (p < e && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < e && (*p == '+' || *p == '-')) p++;
    if (p >= e || *p < '0' || *p > '9') return nullptr;
    while (p < e && *p >= '0' && *p <= '9') p++;
  }
  return p;
}
const uint8_t* value(const uint8_t* p, const uint8_t* e, int depth, int& kind);
const uint8_t* object(const uint8_t* p, const uint8_t* e, int depth, int& kind, int32_t* out, const uint8_t* base) {
  p = ws(p + 1, e);
  if (p < e && *p == '}') { kind = OBJ_EMPTY; return p + 1; }
  kind = OBJ;
  for (;;) {
    if (p >= e || *p != '"') return nullptr;
    bool esc, khi;
    const uint8_t* ks = p + 1;
    const uint8_t* q = str(p, e, esc, khi);
    if (!q) return nullptr;
    size_t klen = (q - 1) - ks;
    p = ws(q, e);
    if (p >= e || *p != ':') return nullptr;
    p = ws(p + 1, e);
    const uint8_t* vs = p;
    int vk;
    p = value(p, e, depth + 1, vk);
    if (!p) return nullptr;
    if (out && esc) out[NKEYS * 3] = 1;  // "\u0069d" is "id" to JSON.parse: let it decide
    if (out && !esc) {
      for (int i = 0; i < NKEYS; i++) {
        if (KEYLEN[i] == klen && memcmp(KEYS[i], ks, klen) == 0) {
          if (out[i * 3 + 2] != 0) out[NKEYS * 3] = 1;  // duplicate key: caller falls back
          out[i * 3] = (int32_t)(vs - base);
          out[i * 3 + 1] = (int32_t)(p - base);
          out[i * 3 + 2] = vk;
          break;
        }
      }
    }
    p = ws(p, e);
    if (p < e && *p == ',') { p = ws(p + 1, e); continue; }
    if (p < e && *p == '}') return p + 1;
    return nullptr;
  }
}
const uint8_t* value(const uint8_t* p, const uint8_t* e, int depth, int& kind) {
  if (p >= e || depth > 256) return nullptr;
  switch (*p) {
    case '"': { bool esc, hi; const uint8_t* q = str(p, e, esc, hi); kind = esc ? STR_ESC : hi ? STR_HI : STR; return q; }
    case '{': return object(p, e, depth, kind, nullptr, nullptr);
    case '[': {
      p = ws(p + 1, e);
      if (p < e && *p == ']') { kind = ARR_EMPTY; return p + 1; }
      kind = ARR;
      for (;;) {
        int k;
        p = value(p, e, depth + 1, k);
        if (!p) return nullptr;
        p = ws(p, e);
        if (p < e && *p == ',') { p = ws(p + 1, e); continue; }
        if (p < e && *p == ']') return p + 1;
        return nullptr;
      }
    }
    case 't': kind = TRUE_; return (e - p >= 4 && memcmp(p, "true", 4) == 0) ? p + 4 : nullptr;
    case 'f': kind = FALSE_; return (e - p >= 5 && memcmp(p, "false", 5) == 0) ? p + 5 : nullptr;
    case 'n': kind = NULL_; return (e - p >= 4 && memcmp(p, "null", 4) == 0) ? p + 4 : nullptr;
    default: kind = NUM; return num(p, e);
  }
}

// scan(buf, start, end, out: Int32Array(NKEYS * 3 + 1)) → 1: a valid message envelope, 2: a valid
// reaction envelope, with [start, end, kind] of each known key of its data in out (kind 0: absent);
// 0: not vouched for (take the JSON.parse path).
napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* data; size_t len;
  napi_get_buffer_info(env, argv[0], &data, &len);
  int32_t s, en;
  napi_get_value_int32(env, argv[1], &s);
  napi_get_value_int32(env, argv[2], &en);
  napi_typedarray_type t; size_t olen; void* odata; napi_value ab; size_t off;
  napi_get_typedarray_info(env, argv[3], &t, &olen, &odata, &ab, &off);
  napi_value zero;
  napi_create_int32(env, 0, &zero);
  if (t != napi_int32_array || olen < (size_t)(NKEYS * 3 + 1) || s < 0 || en < s || (size_t)en > len) return zero;
  int32_t* out = (int32_t*)odata;
  memset(out, 0, sizeof(int32_t) * (NKEYS * 3 + 1));
  const uint8_t* base = (const uint8_t*)data;
  const uint8_t* p = ws(base + s, base + en);
  const uint8_t* e = base + en;
  int result = 0;
  // scan(..., out, 1): one bare entity object (a v1 document's message): 3 when vouched for.
  size_t argc5 = 5;
  napi_value argv5[5];
  napi_get_cb_info(env, info, &argc5, argv5, nullptr, nullptr);
  int32_t mode = 0;
  if (argc5 >= 5) napi_get_value_int32(env, argv5[4], &mode);
  if (mode == 1) {
    if (p < e && *p == '{') {
      int k;
      const uint8_t* r = object(p, e, 1, k, out, base);
      if (r && ws(r, e) == e && !out[NKEYS * 3]) result = 3;
    }
    napi_value v;
    napi_create_int32(env, result, &v);
    return v;
  }
  // Envelope fast shape: {"type":"<t>","data":{...}} exactly.
  static const char pre[] = "{\"type\":\"";
  if (e - p > 20 && memcmp(p, pre, 9) == 0) {
    const uint8_t* q = p + 9;
    const uint8_t* ts = q;
    while (q < e && *q != '"' && *q != '\\') q++;
    if (q < e && *q == '"' && e - q > 9 && memcmp(q, "\",\"data\":", 9) == 0) {
      const uint8_t* d = ws(q + 9, e);
      if (d < e && *d == '{') {
        int k;
        const uint8_t* r = object(d, e, 1, k, out, base);
        if (r) {
          r = ws(r, e);
          if (r < e && *r == '}' && ws(r + 1, e) == e && !out[NKEYS * 3]) {
            size_t tl = q - ts;
            result = (tl == 7 && memcmp(ts, "message", 7) == 0) ? 1 : (tl == 8 && memcmp(ts, "reaction", 8) == 0) ? 2 : 0;
          }
        }
      }
    }
  }
  napi_value v;
  napi_create_int32(env, result, &v);
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, nullptr, &fn);
  napi_set_named_property(env, exports, "scan", fn);
  napi_value n; napi_create_int32(env, NKEYS, &n);
  napi_set_named_property(env, exports, "nkeys", n);
  napi_value ver; napi_create_int32(env, 3, &ver);  // line-scan.ts checks it: bump when the output changes
  napi_set_named_property(env, exports, "version", ver);
  return exports;
}
}  // namespace
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
