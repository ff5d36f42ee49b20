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
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>
#include <cstdio>
#if defined(_WIN32)
#define NOMINMAX
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif
#if defined(__GLIBC__)
#include <malloc.h>
#endif
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

// Scans [s, en) of base into out (NKEYS * 3 + 1 ints, ranges relative to base). Mode 0 (a v2
// line): 1 a valid message envelope, 2 a valid reaction envelope; mode 1 (one bare object, e.g. a
// v1 message): 3; 0: not vouched for (take the JSON.parse path).
int scanLine(const uint8_t* base, int32_t s, int32_t en, int32_t* out, int mode) {
  memset(out, 0, sizeof(int32_t) * (NKEYS * 3 + 1));
  const uint8_t* p = ws(base + s, base + en);
  const uint8_t* e = base + en;
  if (mode == 1) {
    if (p < e && *p == '{') {
      int k;
      const uint8_t* r = object(p, e, 1, k, out, base);
      if (r && ws(r, e) == e && !out[NKEYS * 3]) return 3;
    }
    return 0;
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
            return (tl == 7 && memcmp(ts, "message", 7) == 0) ? 1 : (tl == 8 && memcmp(ts, "reaction", 8) == 0) ? 2 : 0;
          }
        }
      }
    }
  }
  return 0;
}

// scan(buf, start, end, out: Int32Array(NKEYS * 3 + 1), mode = 0) → scanLine's result.
napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  void* data; size_t len;
  napi_get_buffer_info(env, argv[0], &data, &len);
  int32_t s, en;
  napi_get_value_int32(env, argv[1], &s);
  napi_get_value_int32(env, argv[2], &en);
  napi_typedarray_type t; size_t olen; void* odata; napi_value ab; size_t off;
  napi_get_typedarray_info(env, argv[3], &t, &olen, &odata, &ab, &off);
  int32_t mode = 0;
  if (argc >= 5) napi_get_value_int32(env, argv[4], &mode);
  int result = 0;
  if (t == napi_int32_array && olen >= (size_t)(NKEYS * 3 + 1) && s >= 0 && en >= s && (size_t)en <= len)
    result = scanLine((const uint8_t*)data, s, en, (int32_t*)odata, mode);
  napi_value v;
  napi_create_int32(env, result, &v);
  return v;
}


// ---------------------------------------------------------------------------------------------
// Reader: reads a file and scans its lines on a thread of its own, a few slots ahead of the
// importer (which then only turns reported values into JavaScript strings). The slots are
// Buffers and Int32Arrays the caller allocated and keeps; this thread only writes into a slot
// the caller has handed back (nextSlot returns one and takes the previous one back).
//
// A slot's records, in its Int32Array: a header of HDR ints, then one record of REC ints per
// line: [pos (line start), s (after leading spaces/tabs), e (before "\r\n" or "\n"), result of
// scanLine (0 for blank lines and for the tail of a long line), the embedded user's number (below),
// NKEYS * 3 + 1 ints of ranges].
//
// Users: most messages repeat their author's object byte for byte. Each distinct object (its exact
// bytes) gets a number, the same for every copy, so the caller parses each one once and finds it
// by number: comparing bytes here costs the importer's thread nothing. A number is
// (generation << 16) | index: after `usersMax` distinct objects (≤ 65535; e.g. a file whose user
// objects differ in every message) the table starts over with the next generation, and the
// caller drops what it kept for the previous one — memory stays bounded on both sides.
// -1: the line has no user object.
enum { H_STATUS, H_BYTES, H_NRECS, H_OFF_LO, H_OFF_HI, H_MIDLINE, H_UNTERMINATED, H_LAST, H_READ_LO, H_READ_HI, HDR };
enum { ST_LINES = 0, ST_FRAGMENT = 1, ST_ERROR = 3 };
const int REC = 5 + NKEYS * 3 + 1;
const int USER_KEY = 8;  // KEYS[8] is "user"
const size_t USERS_MAX = 8192;

struct Slot {
  uint8_t* buf;
  size_t cap;
  int32_t* recs;
  size_t maxLines;
  napi_ref bufRef, recsRef;
  enum { FREE, FILLED, IN_USE } state = FREE;
};

struct Reader {
  std::FILE* file = nullptr;  // unbuffered: each read goes straight into a slot
  std::vector<Slot> slots;
  std::thread thread;
  std::mutex mu;
  std::condition_variable cv;
  bool stop = false;
  bool joined = false;
  bool hooked = false;  // registered as an environment cleanup hook
  size_t next = 0;     // the slot nextSlot returns next
  long inUse = -1;     // the slot the caller holds
  std::deque<std::string> userBytes;  // owns the keys of userIndex
  std::unordered_map<std::string_view, int32_t> userIndex;
  size_t usersMax = USERS_MAX;
  int32_t generation = 0;

  int32_t userNumber(const uint8_t* buf, const int32_t* ranges) {
    if (ranges[USER_KEY * 3 + 2] != OBJ) return -1;
    std::string_view bytes((const char*)buf + ranges[USER_KEY * 3], ranges[USER_KEY * 3 + 1] - ranges[USER_KEY * 3]);
    auto it = userIndex.find(bytes);
    if (it != userIndex.end()) return it->second;
    if (userIndex.size() >= usersMax) {
      userIndex.clear();
      userBytes.clear();
      generation = (generation + 1) & 0x7fff;
    }
    userBytes.emplace_back(bytes);
    int32_t n = (generation << 16) | (int32_t)userIndex.size();
    userIndex.emplace(std::string_view(userBytes.back()), n);
    return n;
  }

  void run() {
    size_t k = 0;
    const uint8_t* carry = nullptr;
    size_t carryLen = 0;
    bool eof = false, midLine = false, error = false;
    uint64_t offset = 0, total = 0;
    for (;;) {
      Slot* sl = &slots[k];
      {
        std::unique_lock<std::mutex> lk(mu);
        cv.wait(lk, [&] { return stop || sl->state == Slot::FREE; });
        if (stop) return;
      }
      int32_t* h = sl->recs;
      uint8_t* buf = sl->buf;
      if (carryLen) memmove(buf, carry, carryLen);  // from the previous slot, which this thread does not write
      size_t have = carryLen;
      int err = 0;
      while (have < sl->cap && !eof) {
        size_t n = std::fread(buf + have, 1, sl->cap - have, file);
        have += n;
        total += (uint64_t)n;
        if (n == 0) {
          if (std::ferror(file)) {
            err = errno ? errno : EIO;
            break;
          }
          eof = true;
        }
      }
      bool startsMid = midLine;
      size_t pos = 0, nrecs = 0;
      bool unterminated = false;
      if (err) {
        h[H_STATUS] = ST_ERROR;
        h[H_BYTES] = err;
        error = true;
      } else {
        while (nrecs < sl->maxLines) {
          const uint8_t* nl = (const uint8_t*)memchr(buf + pos, '\n', have - pos);
          size_t end;
          if (nl) end = nl - buf;
          else if (eof && (pos < have || (startsMid && nrecs == 0))) { end = have; unterminated = true; }
          else break;
          int32_t* r = h + HDR + nrecs * REC;
          size_t e = end;
          if (nl && e > pos && buf[e - 1] == '\r') e--;
          size_t s = pos;
          while (s < e && (buf[s] == ' ' || buf[s] == '\t')) s++;
          r[0] = (int32_t)pos;
          r[1] = (int32_t)s;
          r[2] = (int32_t)e;
          r[3] = (s < e && !(startsMid && nrecs == 0)) ? scanLine(buf, (int32_t)s, (int32_t)e, r + 5, 0) : 0;
          r[4] = r[3] ? userNumber(buf, r + 5) : -1;
          nrecs++;
          pos = nl ? end + 1 : have;
          if (!nl) break;
        }
        if (nrecs == 0 && have > 0 && !eof) {
          // No line ends in a full slot: it holds part of a long line, which the caller joins.
          h[H_STATUS] = ST_FRAGMENT;
          h[H_BYTES] = (int32_t)have;
          midLine = true;
          carryLen = 0;
          pos = have;
        } else {
          h[H_STATUS] = ST_LINES;
          h[H_BYTES] = (int32_t)pos;
          if (nrecs > 0) midLine = false;
          carry = buf + pos;
          carryLen = have - pos;
        }
      }
      h[H_NRECS] = (int32_t)nrecs;
      h[H_OFF_LO] = (int32_t)(uint32_t)(offset & 0xffffffffu);
      h[H_OFF_HI] = (int32_t)(uint32_t)(offset >> 32);
      h[H_MIDLINE] = startsMid ? 1 : 0;
      h[H_UNTERMINATED] = unterminated ? 1 : 0;
      bool last = error || (eof && carryLen == 0 && !midLine);
      h[H_LAST] = last ? 1 : 0;
      h[H_READ_LO] = (int32_t)(uint32_t)(total & 0xffffffffu);
      h[H_READ_HI] = (int32_t)(uint32_t)(total >> 32);
      offset += pos;
      {
        std::lock_guard<std::mutex> lk(mu);
        sl->state = Slot::FILLED;
      }
      cv.notify_all();
      if (last) return;
      k = (k + 1) % slots.size();
    }
  }

  void shutdown() {
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = true;
    }
    cv.notify_all();
    if (!joined) {
      if (thread.joinable()) thread.join();
      joined = true;
    }
    if (file) std::fclose(file);
    file = nullptr;
  }
};

void cleanupHook(void* arg) {
  Reader* r = (Reader*)arg;
  r->hooked = false;  // Node drops a hook once it has run
  r->shutdown();
}

void finalizeReader(napi_env env, void* data, void*) {
  Reader* r = (Reader*)data;
  r->shutdown();
  if (r->hooked) napi_remove_env_cleanup_hook(env, cleanupHook, r);
  for (Slot& s : r->slots) {
    if (s.bufRef) napi_delete_reference(env, s.bufRef);
    if (s.recsRef) napi_delete_reference(env, s.recsRef);
  }
  delete r;
}

napi_value throwError(napi_env env, const std::string& msg) {
  napi_throw_error(env, nullptr, msg.c_str());
  return nullptr;
}

// openReader(path, buffers: Buffer[], recs: Int32Array[], usersMax?) → handle. Each recs array holds
// HDR ints plus REC per line the slot may report (a slot with more lines ends early; the rest
// follows). usersMax: distinct user objects per generation (1–65535; tests use small ones).
napi_value OpenReader(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) return throwError(env, "openReader(path, buffers, recs)");
  size_t plen;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &plen) != napi_ok) return throwError(env, "path must be a string");
  std::string path(plen, '\0');
  napi_get_value_string_utf8(env, argv[0], &path[0], plen + 1, &plen);
  uint32_t nb = 0, nr = 0;
  napi_get_array_length(env, argv[1], &nb);
  napi_get_array_length(env, argv[2], &nr);
  if (nb < 2 || nb != nr) return throwError(env, "openReader: at least two slots, as many buffers as record arrays");
  Reader* r = new Reader();
  int32_t um = 0;
  if (argc >= 4 && napi_get_value_int32(env, argv[3], &um) == napi_ok && um >= 1 && um <= 65535) r->usersMax = (size_t)um;
  for (uint32_t i = 0; i < nb; i++) {
    napi_value b, a;
    napi_get_element(env, argv[1], i, &b);
    napi_get_element(env, argv[2], i, &a);
    Slot s{};
    void* data; size_t len;
    bool isBuf = false;
    napi_is_buffer(env, b, &isBuf);
    napi_typedarray_type t; size_t alen; void* adata; napi_value ab; size_t off;
    bool isTa = false;
    napi_is_typedarray(env, a, &isTa);
    if (!isBuf || !isTa || napi_get_buffer_info(env, b, &data, &len) != napi_ok
        || napi_get_typedarray_info(env, a, &t, &alen, &adata, &ab, &off) != napi_ok || t != napi_int32_array
        || len < 16 || alen < (size_t)(HDR + REC) || len > 0x7fffffff) {
      r->joined = true;  // no thread yet
      finalizeReader(env, r, nullptr);
      return throwError(env, "openReader: each slot needs a Buffer (16 B to 2 GB) and an Int32Array for at least one line");
    }
    s.buf = (uint8_t*)data;
    s.cap = len;
    s.recs = (int32_t*)adata;
    s.maxLines = (alen - HDR) / REC;
    napi_create_reference(env, b, 1, &s.bufRef);
    napi_create_reference(env, a, 1, &s.recsRef);
    r->slots.push_back(s);
  }
#if defined(_WIN32)
  // Paths are UTF-8 here: Windows opens non-ASCII names only through the wide API.
  int wlen = MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, nullptr, 0);
  std::wstring wpath(wlen > 0 ? wlen : 1, L'\0');
  if (wlen > 0) MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, &wpath[0], wlen);
  r->file = _wfopen(wpath.c_str(), L"rb");
#else
  r->file = std::fopen(path.c_str(), "rbe");  // e: close on exec (glibc); ignored elsewhere
#endif
  if (r->file) std::setvbuf(r->file, nullptr, _IONBF, 0);
  if (!r->file) {
    int e = errno;
    r->joined = true;
    finalizeReader(env, r, nullptr);
    return throwError(env, std::string("cannot open ") + path + ": " + strerror(e));
  }
  napi_add_env_cleanup_hook(env, cleanupHook, r);
  r->hooked = true;
  r->thread = std::thread([r] { r->run(); });
  napi_value handle;
  napi_create_external(env, r, finalizeReader, nullptr, &handle);
  return handle;
}

Reader* readerOf(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_valuetype vt;
  if (argc < 1 || napi_typeof(env, argv[0], &vt) != napi_ok || vt != napi_external) return nullptr;
  void* p;
  napi_get_value_external(env, argv[0], &p);
  return (Reader*)p;
}

// nextSlot(handle) → the index of the next filled slot (blocks until the reader thread has it);
// hands the previously returned slot back. -1 once the reader is closed.
napi_value NextSlot(napi_env env, napi_callback_info info) {
  Reader* r = readerOf(env, info);
  if (!r) return throwError(env, "nextSlot(handle)");
  long got = -1;
  {
    std::unique_lock<std::mutex> lk(r->mu);
    if (r->inUse >= 0) r->slots[r->inUse].state = Slot::FREE;
    r->inUse = -1;
    r->cv.notify_all();
    Slot& s = r->slots[r->next];
    r->cv.wait(lk, [&] { return r->stop || s.state == Slot::FILLED; });
    if (!r->stop) {
      s.state = Slot::IN_USE;
      got = (long)r->next;
      r->inUse = got;
      r->next = (r->next + 1) % r->slots.size();
    }
  }
  napi_value v;
  napi_create_int32(env, (int32_t)got, &v);
  return v;
}

// closeReader(handle): stops the thread and closes the file (idempotent).
napi_value CloseReader(napi_env env, napi_callback_info info) {
  Reader* r = readerOf(env, info);
  if (!r) return throwError(env, "closeReader(handle)");
  r->shutdown();
  return nullptr;
}

// limitMallocArenas(n) → true when applied. glibc gives threads that allocate at the same time
// arenas of their own, and memory freed in one arena is never reused by another: an import's
// threads (importer, indexer, reader, archive worker) kept ≈ 25–35 MB more resident than with
// two arenas. Applies to arenas created from now on (call it before starting those threads).
napi_value LimitMallocArenas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t n = 0;
  bool ok = false;
  if (argc >= 1 && napi_get_value_int32(env, argv[0], &n) == napi_ok && n > 0) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    ok = mallopt(M_ARENA_MAX, n) == 1;
#endif
  }
  napi_value v;
  napi_get_boolean(env, ok, &v);
  return v;
}

napi_value Init(napi_env env, napi_value exports) {
  if (strcmp(KEYS[USER_KEY], "user") != 0) {
    napi_throw_error(env, nullptr, "line-scan: USER_KEY does not name \"user\"");
    return nullptr;
  }
  napi_value fn;
  napi_create_function(env, "scan", NAPI_AUTO_LENGTH, Scan, nullptr, &fn);
  napi_set_named_property(env, exports, "scan", fn);
  const struct { const char* name; napi_callback cb; } fns[] = {{"openReader", OpenReader}, {"nextSlot", NextSlot}, {"closeReader", CloseReader},
                                                         {"limitMallocArenas", LimitMallocArenas}};
  for (auto& f : fns) {
    napi_value x;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &x);
    napi_set_named_property(env, exports, f.name, x);
  }
  const struct { const char* name; int v; } consts[] = {{"HDR", HDR}, {"REC", REC}};
  for (auto& c : consts) {
    napi_value x;
    napi_create_int32(env, c.v, &x);
    napi_set_named_property(env, exports, c.name, x);
  }
  napi_value n; napi_create_int32(env, NKEYS, &n);
  napi_set_named_property(env, exports, "nkeys", n);
  napi_value ver; napi_create_int32(env, 6, &ver);  // line-scan.ts checks it: bump when the output changes
  napi_set_named_property(env, exports, "version", ver);
  return exports;
}
}  // namespace
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
