// The explorer page: name lookup as ask.py does it, answers from the precomputed table, the map.
// Nothing here ranks artists: every answer was computed by item2vec's Recommender.answer.
(function () {
  "use strict";

  // Blocked requests are kept for the tests (the policy blocks every request; none should be tried).
  var violations = [];
  document.addEventListener("securitypolicyviolation", function (e) {
    violations.push((e.violatedDirective || "") + " " + (e.blockedURI || ""));
  });

  var D = JSON.parse(document.getElementById("explorer-data").textContent);
  var A = D.artists;
  var N = A.name.length;
  var U = D.unicode;

  // ---- names.normalize, mirrored ---------------------------------------------------------------
  var COMBINING = new RegExp("[" + U.combining + "]", "gu");
  var SPACE = "[" + U.space + "]";
  var SPACE_RUN = new RegExp(SPACE + "+", "gu");
  var SPACE_EDGES = new RegExp("^" + SPACE + "+|" + SPACE + "+$", "gu");
  var ID_QUERY = new RegExp("^" + SPACE + "*(?:id:|#)" + SPACE + "*([0-9]{1,18})" + SPACE + "*$", "iu");
  var ARTICLE = new RegExp(U.article, "u");

  function casefold(text) {
    // Python's casefold is lower() except for the characters in the table (e.g. "ß" -> "ss").
    var out = "";
    for (var c of text) {
      var f = U.fold[c];
      out += f !== undefined ? f : c.toLowerCase();
    }
    return out;
  }

  function normalize(text) {
    text = casefold(text.normalize("NFKC")).replace(/\u0131/g, "i");
    text = text.normalize("NFKD").replace(COMBINING, "");
    return text.normalize("NFKC").replace(SPACE_RUN, " ").replace(/^ | $/g, "");
  }

  function pyStrip(text) {
    return text.replace(SPACE_EDGES, "");
  }

  function codePoints(text) {
    // Array.from(text)'s code points (a lone surrogate is one), without an iterator per text.
    var out = [];
    for (var i = 0; i < text.length; i++) {
      var c = text.codePointAt(i);
      out.push(c);
      if (c > 0xffff) i++;
    }
    return out;
  }

  function isSurrogate(unit) {
    return unit >= 0xd800 && unit <= 0xdfff;
  }

  function compareCodePoints(a, b) {
    // Python compares strings by code point; JavaScript by UTF-16 unit. They differ only where
    // the first different unit is half of a surrogate pair: only then are code points needed.
    var n = Math.min(a.length, b.length);
    for (var u = 0; u < n; u++) {
      var p = a.charCodeAt(u), r = b.charCodeAt(u);
      if (p === r) continue;
      if (!isSurrogate(p) && !isSurrogate(r)) return p - r;
      break;
    }
    if (u === n) return a.length - b.length;
    var x = codePoints(a), y = codePoints(b);
    for (var i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] !== y[i]) return x[i] - y[i];
    }
    return x.length - y.length;
  }

  // ---- errors.UnknownArtistError's message, mirrored ---------------------------------------------
  var NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

  function hex(n, width) {
    var s = n.toString(16);
    while (s.length < width) s = "0" + s;
    return s;
  }

  function pyRepr(text) {
    var quote = text.indexOf("'") >= 0 && text.indexOf('"') < 0 ? '"' : "'";
    var out = quote;
    for (var c of text) {
      var cp = c.codePointAt(0);
      if (c === quote || c === "\\") out += "\\" + c;
      else if (c === "\n") out += "\\n";
      else if (c === "\r") out += "\\r";
      else if (c === "\t") out += "\\t";
      else if (c !== " " && NOT_PRINTABLE.test(c)) {
        out += cp < 0x100 ? "\\x" + hex(cp, 2) : cp < 0x10000 ? "\\u" + hex(cp, 4) : "\\U" + hex(cp, 8);
      } else out += c;
    }
    return out + quote;
  }

  function quoteName(text) {
    var chars = Array.from(text);
    if (chars.length > 80) text = chars.slice(0, 77).join("") + "...";
    return pyRepr(text);
  }

  function unknownMessage(query, suggestions) {
    if (!pyStrip(query)) return "Empty artist name: type the name of an artist.";
    var msg = "Unknown artist " + quoteName(query) + ".";
    if (suggestions.length) msg += " Did you mean: " + suggestions.join(", ") + "?";
    return msg;
  }

  // ---- NameIndex.resolve: the page computes the typed text's keys, Python chose every key's artist --
  // For each kind of key (exact name, normalised, ASCII, without article), every catalogue key's
  // artist and note was chosen at build time by NameIndex.lookup; a key missing from D.resolve.picks
  // is held by one artist and finds it.
  var R = D.resolve;
  var TRANSLIT = new Map(Object.entries(R.translit));
  var rowsBy = {}, picks = {}, keyOf = {}, rowById = new Map();
  R.kinds.forEach(function (kind) {
    picks[kind] = new Map(Object.entries(R.picks[kind]));
    // A kind with several keys per artist (Latin spellings): every key is in picks.
    if (R.picked_only.indexOf(kind) >= 0) { rowsBy[kind] = new Map(); return; }
    var differ = R.row_keys[kind], base = kind === "exact" ? A.name : A.key;
    var own = new Array(N), rows = new Map();
    for (var r = 0; r < N; r++) {
      var k = Object.prototype.hasOwnProperty.call(differ, String(r)) ? differ[String(r)] : base[r];
      own[r] = k;
      if (!rows.has(k)) rows.set(k, []);
      rows.get(k).push(r);
    }
    keyOf[kind] = own;
    rowsBy[kind] = rows;
  });
  for (var r = 0; r < N; r++) rowById.set(A.id[r], r);

  function lookup(kind, key) {
    // NameIndex.lookup: the artist (row) a key of this kind resolves to and the notes about the
    // name (same-named artists, a far better-known spelling answered instead), or null.
    if (!key) return null;
    if (picks[kind].has(key)) {
      var p = picks[kind].get(key);
      return p === null ? null : { row: p[0], notes: p.slice(1).map(function (i) { return R.notes[i]; }) };
    }
    var rows = rowsBy[kind].get(key);
    return rows ? { row: rows[0], notes: [] } : null;
  }

  function skeleton(text) {
    // names.skeleton: the ASCII key, look-alike symbols as letters, only letters and digits left.
    var key = asciiKey(text);
    if (key === null) return null;
    var out = "";
    for (var c of key) {
      var t = R.lookalike[c];
      out += t !== undefined ? t : c;
    }
    return out.replace(/[^0-9a-z]+/g, "");
  }

  function unquote(query) {
    // names.unquote: one pair of quotes around the name, and the spaces inside them, dropped.
    var text = pyStrip(query), chars = Array.from(text);
    if (chars.length >= 2) {
      var closing = R.quotes[chars[0]];
      if (closing !== undefined && closing.indexOf(chars[chars.length - 1]) >= 0) {
        return pyStrip(chars.slice(1, -1).join(""));
      }
    }
    return text;
  }

  function asciiKey(text) {
    // names.ascii_key: anyascii of the normalised text, casefolded, spaces collapsed. The page
    // carries anyascii's table for the characters of the catalogue's names and Latin-1 to
    // Cyrillic; with any other character the key is unknown (null) and that step is skipped.
    var out = "";
    for (var c of normalize(text)) {
      if (c.codePointAt(0) < 0x80) { out += c; continue; }
      var t = TRANSLIT.get(c);
      if (t === undefined) return null;
      out += t;
    }
    return pyStrip(out.toLowerCase().replace(SPACE_RUN, " "));
  }

  function typedKey(kind, query, key) {
    // NameIndex.typed_keys, one kind at a time (key: the normalised query).
    if (kind === "normal") return key;
    if (kind === "ascii") return asciiKey(query);
    if (kind === "article") return key.replace(ARTICLE, "");
    if (kind === "skeleton" || kind === "romanized") return skeleton(query);
    throw new Error("no typed key of kind " + kind);
  }

  function resolve(query) {
    var chars = Array.from(query);
    if (!pyStrip(query) || chars.length > U.max_query) return { error: unknownMessage(query, []) };
    var found = lookup("exact", query) || lookup("exact", pyStrip(query));
    if (found) return found;
    var bare = unquote(query);
    if (bare !== pyStrip(query)) return bare ? resolve(bare) : { error: unknownMessage(query, []) };
    var m = ID_QUERY.exec(query);
    if (m) {
      var row = rowById.get(m[1].replace(/^0+(?=[0-9])/, ""));
      return row !== undefined ? { row: row, notes: [] } : { error: unknownMessage(query, []) };
    }
    var key = normalize(query);
    if (!key) return { error: unknownMessage(query, []) };
    for (var i = 0; i < R.kinds.length; i++) {
      if (R.kinds[i] === "exact") continue;
      found = lookup(R.kinds[i], typedKey(R.kinds[i], query, key));
      if (found) return found;
    }
    var suggestions = suggest(key);
    return { error: unknownMessage(query, suggestions), suggestions: suggestions };
  }

  function rowOfName(name) {
    // The artist a suggested name stands for: what typing it exactly resolves to.
    return lookup("exact", name).row;
  }

  // ---- NameIndex.suggest, mirrored: rapidfuzz's ratio and token_set_ratio over the keys --------
  var fuzzy = null;

  function fuzzyIndex() {
    // NameIndex._fuzzy_keys: each normalised key, then the same key without its article.
    if (fuzzy) return fuzzy;
    var index = new Map();
    rowsBy.normal.forEach(function (rows, key) {
      var bare = keyOf.article[rows[0]];
      (bare === key ? [key] : [key, bare]).forEach(function (variant) {
        if (!index.has(variant)) index.set(variant, []);
        Array.prototype.push.apply(index.get(variant), rows);
      });
    });
    // Then the Latin spellings of names in other scripts, in catalogue order.
    R.romanized.forEach(function (entry) {
      if (!index.has(entry[1])) index.set(entry[1], []);
      var rows = index.get(entry[1]);
      if (rows.indexOf(entry[0]) < 0) rows.push(entry[0]);
    });
    fuzzy = { keys: [], cps: [], tokens: [], joined: [], rows: [] };
    index.forEach(function (rows, key) {
      var tokens = tokenSet(key);
      fuzzy.keys.push(key);
      fuzzy.cps.push(codePoints(key));
      fuzzy.tokens.push(tokens);
      // What tokenSetRatio compares when the texts share no word: the sorted words, rejoined.
      fuzzy.joined.push(codePoints(tokens.join(" ")));
      fuzzy.rows.push(rows);
    });
    return fuzzy;
  }

  var lcsRow = new Int32Array(1024);

  function lcsLength(a, b) {
    // Longest common subsequence of two code point arrays, one DP row at a time.
    if (b.length + 1 > lcsRow.length) lcsRow = new Int32Array(b.length + 1);
    var row = lcsRow;
    for (var j = 0; j <= b.length; j++) row[j] = 0;
    for (var i = 1; i <= a.length; i++) {
      var diagonal = 0;
      for (j = 1; j <= b.length; j++) {
        var above = row[j];
        row[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : Math.max(above, row[j - 1]);
        diagonal = above;
      }
    }
    return row[b.length];
  }

  function similarity(a, b, common) {
    // Normalised Indel similarity of two code point arrays (0..1): fuzz.ratio / 100. With
    // common (an upper bound of the longest common subsequence), the bound of the similarity.
    var total = a.length + b.length;
    if (common === undefined) common = lcsLength(a, b);
    return total ? 1 - (total - 2 * common) / total : 1;
  }

  function characterCounts(cps) {
    // A text's code points with their multiplicity, for sharedBound.
    var slot = new Map(), counts = [];
    cps.forEach(function (c) {
      if (!slot.has(c)) { slot.set(c, counts.length); counts.push(0); }
      counts[slot.get(c)]++;
    });
    return { slot: slot, counts: Int32Array.from(counts), used: new Int32Array(counts.length) };
  }

  function sharedBound(text, b) {
    // An upper bound of the longest common subsequence of a text (its characterCounts) and the
    // code points b, in one pass over b: the code points they have in common, with multiplicity.
    var common = 0, used = text.used;
    used.fill(0);
    for (var j = 0; j < b.length; j++) {
      var at = text.slot.get(b[j]);
      if (at !== undefined && used[at] < text.counts[at]) {
        used[at]++;
        common++;
      }
    }
    return common;
  }

  function tokenSet(text) {
    // The sorted, de-duplicated words of a text (rapidfuzz splits on whitespace; keys hold only " ").
    var words = text.split(SPACE_RUN).filter(function (w) { return w; });
    return Array.from(new Set(words)).sort(compareCodePoints);
  }

  function normDistance(dist, lensum) {
    return lensum > 0 ? 100 - (100 * dist) / lensum : 100;
  }

  function tokenSetRatio(a, b) {
    // rapidfuzz.fuzz.token_set_ratio of two token sets (tokenSet), without a cutoff.
    if (!a.length || !b.length) return 0;
    var inB = new Set(b), inA = new Set(a);
    var sect = a.filter(function (t) { return inB.has(t); });
    var ab = a.filter(function (t) { return !inB.has(t); });
    var ba = b.filter(function (t) { return !inA.has(t); });
    // One text's words are all in the other's.
    if (sect.length && (!ab.length || !ba.length)) return 100;
    var abJoined = codePoints(ab.join(" ")), baJoined = codePoints(ba.join(" "));
    var sectLen = codePoints(sect.join(" ")).length;
    var sep = sectLen ? 1 : 0;
    var sectAbLen = sectLen + sep + abJoined.length, sectBaLen = sectLen + sep + baJoined.length;
    var lensum = sectAbLen + sectBaLen;
    var result = normDistance(abJoined.length + baJoined.length - 2 * lcsLength(abJoined, baJoined), lensum);
    if (!sectLen) return result;
    // sect+ab against sect, and sect+ba against sect: they differ by the differences only.
    var sectAbRatio = normDistance(sep + abJoined.length, sectLen + sectAbLen);
    var sectBaRatio = normDistance(sep + baJoined.length, sectLen + sectBaLen);
    return Math.max(result, sectAbRatio, sectBaRatio);
  }

  function roundHalfEven(x) {
    var f = Math.floor(x), d = x - f;
    if (d > 0.5) return f + 1;
    if (d < 0.5) return f;
    return f % 2 === 0 ? f : f + 1;
  }

  function suggest(key, limit) {
    limit = limit || 5;
    if (!key) return [];
    var index = fuzzyIndex();
    var q = codePoints(key), qTokens = tokenSet(key);
    var qWords = new Set(qTokens), qJoined = codePoints(qTokens.join(" "));
    var qCounts = characterCounts(q), qJoinedCounts = characterCounts(qJoined);
    var cutoff = R.suggest_cutoff;
    // Each returns the score, or null below the cutoff (rapidfuzz compares ratio's cutoff unscaled).
    // Most keys are far from the query: a score computed from an upper bound of the common
    // subsequence bounds the true score (the same arithmetic, monotone in it), so a key whose
    // bound is below the cutoff is dropped without the quadratic lcsLength.
    var scorers = [
      function (k) {
        var b = index.cps[k];
        if (similarity(q, b, Math.min(q.length, b.length)) < cutoff / 100) return null;
        if (similarity(q, b, sharedBound(qCounts, b)) < cutoff / 100) return null;
        var s = similarity(q, b);
        return s >= cutoff / 100 ? s * 100 : null;
      },
      function (k) {
        var tokens = index.tokens[k];
        var shared = tokens.some(function (t) { return qWords.has(t); });
        if (!shared && qTokens.length && tokens.length) {
          // No word in common: token_set_ratio is the ratio of the sorted words, rejoined.
          var b = index.joined[k], lensum = qJoined.length + b.length;
          var bound = function (common) { return normDistance(lensum - 2 * common, lensum); };
          if (bound(Math.min(qJoined.length, b.length)) < cutoff) return null;
          if (bound(sharedBound(qJoinedCounts, b)) < cutoff) return null;
        }
        var s = tokenSetRatio(qTokens, tokens);
        return s >= cutoff ? s : null;
      },
    ];
    var best = new Map();
    scorers.forEach(function (scorer) {
      // process.extract with limit=None: every key at or above the cutoff (the tie-break below decides).
      var hits = [];
      for (var k = 0; k < index.keys.length; k++) {
        var score = scorer(k);
        if (score !== null) hits.push([score, k]);
      }
      hits.sort(function (x, y) { return y[0] - x[0] || x[1] - y[1]; });
      hits.forEach(function (hit) {
        index.rows[hit[1]].forEach(function (r) {
          best.set(r, Math.max(best.has(r) ? best.get(r) : 0, roundHalfEven(hit[0])));
        });
      });
    });
    // Equal scores: the better-known artist first, then by name.
    var ranked = Array.from(best.keys()).sort(function (x, y) {
      return best.get(y) - best.get(x) || A.listeners[y] - A.listeners[x] || compareCodePoints(A.name[x], A.name[y]);
    });
    var names = [];
    ranked.forEach(function (r) {
      if (names.indexOf(A.name[r]) < 0) names.push(A.name[r]);
    });
    return names.slice(0, limit);
  }

  // ---- suggestions as you type: names containing what was typed, best known first -------------------
  function completions(text, limit) {
    var key = normalize(text);
    return withMisspellings(containing(key, limit), key, limit);
  }

  function containing(key, limit) {
    // The names whose key contains the typed key: the whole name first, then those it begins.
    if (!key) return [];
    var hits = [];
    for (var r = 0; r < N; r++) {
      var k = A.key[r];
      var at = k.indexOf(key);
      if (at < 0) continue;
      var rank = k === key ? 0 : at === 0 || k.replace(ARTICLE, "").indexOf(key) === 0 ? 1 : 2;
      hits.push([rank, r]);
    }
    hits.sort(function (x, y) {
      return x[0] - y[0] || A.listeners[y[1]] - A.listeners[x[1]] || x[1] - y[1];
    });
    return hits.slice(0, limit).map(function (h) { return { row: h[1], fuzzy: false }; });
  }

  function wantsMisspellings(found, key, limit) {
    return found.length < limit && Array.from(key).length >= 3;
  }

  function withMisspellings(found, key, limit) {
    // Nothing (or little) contains it: offer what ask.py would suggest for a misspelling.
    if (!wantsMisspellings(found, key, limit)) return found;
    var out = found.slice(), shown = new Set(out.map(function (o) { return A.name[o.row]; }));
    suggest(key).forEach(function (name) {
      if (out.length < limit && !shown.has(name)) {
        out.push({ row: rowOfName(name), fuzzy: true });
        shown.add(name);
      }
    });
    return out;
  }

  // ---- answers, from the table ----------------------------------------------------------------------
  // lookup_tables.pack and pack_answers, read back: whole numbers of 5 bits a character.
  var PACK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";
  var PACK_UNIT = 10000;

  function unpack(text) {
    var numbers = [], value = 0, shift = 0;
    for (var i = 0; i < text.length; i++) {
      var digit = PACK_ALPHABET.indexOf(text[i]);
      value += (digit & 31) * Math.pow(2, shift);
      shift += 5;
      if (digit < 32) { numbers.push(value); value = 0; shift = 0; }
    }
    return numbers;
  }

  function unzigzag(value) {
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  var unpacked = new Map();  // catalogue row -> its result lists, one per dial position

  function resultLists(row) {
    if (unpacked.has(row)) return unpacked.get(row);
    var numbers = unpack(D.answers[row]), at = 0;
    var next = function () { return numbers[at++]; };
    var artists = [], count = next();
    for (var a = 0; a < count; a++) artists.push([next(), unzigzag(next()), next()]);
    var lists = [];
    while (at < numbers.length) {
      var length = next(), picked = [];
      for (var i = 0; i < length; i++) picked.push(artists[next()]);
      var score = length ? unzigzag(next()) : 0;
      lists.push(picked.map(function (x, j) {
        if (j) score -= next();
        // Integers over 10000 give exactly the doubles Python's round(x, 4) gives.
        return { artist: A.name[x[0]], artist_id: Number(A.id[x[0]]), score: score / PACK_UNIT,
          similarity: x[1] / PACK_UNIT, listeners: A.listeners[x[0]], shared_listeners: x[2], row: x[0] };
      }));
    }
    unpacked.set(row, lists);
    return lists;
  }

  function answerFor(row, position) {
    var entry = D.answers[row];
    if (typeof entry !== "string") {
      return { error: D.errors[entry].split("\u0000").join(A.name[row]) };
    }
    var at = D.dial.positions.indexOf(position === undefined ? D.dial.default : position);
    if (at < 0) throw new Error("no dial position " + position);
    var notes = (D.answer_notes.of[String(row)] || [])[at] || [];
    return {
      artist: A.name[row],
      artist_id: Number(A.id[row]),
      listeners: A.listeners[row],
      // An artist has a vector exactly when it is on the map; the others were folded in
      // (tables.answer_tables checks this for every answer when the page is built).
      evidence: onMap.has(row) ? "vector" : "thin (folded in from " + plural(A.listeners[row], "listener") + ")",
      discover: D.dial.positions[at],
      notes: notes.map(function (i) { return D.answer_notes.text[i]; }),
      // Confidence was measured at the default position only (lookup_tables checks no other has a line).
      confidence: D.dial.positions[at] === D.dial.default &&
        Object.prototype.hasOwnProperty.call(D.answer_confidence.of, String(row))
        ? D.answer_confidence.text[D.answer_confidence.of[String(row)]] : null,
      results: resultLists(row)[at].map(function (r) { return Object.assign({}, r); }),
    };
  }

  // ---- formatting.heading and formatting.thin_note, mirrored ------------------------------------------
  function heading(answer) {
    var text = "Artists similar to " + answer.artist + " (" + plural(answer.listeners, "listener") + ")";
    // Python's f"{x:g}" of a dial position is JavaScript's String(x) (0, 0.25, 0.5, 0.75, 1).
    if (answer.discover !== D.dial.default) text += ", discover " + String(answer.discover);
    if (D.ask.rank === "cosine") text += ", ranked by similarity alone";
    if (D.ask.min_listeners > 0) text += ", among artists with at least " + plural(D.ask.min_listeners, "listener");
    return text + ":";
  }

  function thinNote(answer) {
    if (answer.evidence === "vector") return null;
    var n = answer.listeners;
    var whose = n === 1 ? "its listener lists" : "its " + n + " listeners list";
    var taste = n === 1 ? "that one listener's" : "those " + n + " listeners'";
    return "Thin evidence: " + answer.artist + " has no vector of its own (" + plural(n, "listener") +
      "); it is folded in from the other artists " + whose + ", so this answer is mostly " + taste + " taste.";
  }

  // ---- the page -----------------------------------------------------------------------------------
  var input, list, answerBox, current = null, currentNote, active = -1, items = [];
  var position = D.dial.default;  // the slider's --discover position
  var onMap = new Map();  // catalogue row -> map point
  D.map.row.forEach(function (r, i) { onMap.set(r, i); });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function plural(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  function artistLink(row, text) {
    var a = el("a", { href: "#", "class": "artist-link", "data-row": String(row) }, text);
    a.addEventListener("click", function (e) { e.preventDefault(); show(row); });
    return a;
  }

  function closeList() {
    clearTimeout(misspellingsTimer);
    list.removeAttribute("aria-busy");
    list.hidden = true;
    list.textContent = "";
    input.setAttribute("aria-expanded", "false");
    items = [];
    active = -1;
  }

  // The misspellings step scores every name (tens of milliseconds): it runs once typing pauses
  // for this long, not for every key pressed on the way. Meanwhile the list is aria-busy.
  var MISSPELLINGS_DELAY_MS = 120;
  var LIST_LENGTH = 8;
  var misspellingsTimer = null;

  function renderList() {
    clearTimeout(misspellingsTimer);
    var key = normalize(input.value), found = containing(key, LIST_LENGTH);
    list.textContent = "";
    items = [];
    active = -1;
    addItems(found);
    if (wantsMisspellings(found, key, LIST_LENGTH)) {
      list.setAttribute("aria-busy", "true");
      misspellingsTimer = setTimeout(function () {
        list.removeAttribute("aria-busy");
        // Added below the names listed: those (and the highlighted one) stay where they are.
        addItems(withMisspellings(found, key, LIST_LENGTH).slice(found.length));
      }, MISSPELLINGS_DELAY_MS);
    } else {
      list.removeAttribute("aria-busy");
    }
  }

  function addItems(more) {
    // A misspelling's name is never one already listed: only the names containing the typed
    // text can be the same name twice, and those are all added at once.
    var duplicate = {};
    more.forEach(function (it) { duplicate[A.name[it.row]] = (duplicate[A.name[it.row]] || 0) + 1; });
    more.forEach(function (it) {
      var i = items.length;
      items.push(it);
      var li = el("li", { role: "option", "data-row": String(it.row), id: "suggestion-" + i });
      if (!onMap.has(it.row)) li.classList.add("novector");
      var name = A.name[it.row] + (duplicate[A.name[it.row]] > 1 ? "  (id:" + A.id[it.row] + ")" : "");
      li.appendChild(el("span", { "class": "name" }, name));
      if (it.fuzzy) li.appendChild(el("span", { "class": "kind" }, "did you mean"));
      li.appendChild(el("span", { "class": "count" }, plural(A.listeners[it.row], "listener")));
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
      list.appendChild(li);
    });
    list.hidden = !items.length;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }

  function highlight(i) {
    var lis = list.querySelectorAll("li");
    lis.forEach(function (li, j) { li.classList.toggle("active", j === i); });
    active = i;
    if (i >= 0) input.setAttribute("aria-activedescendant", "suggestion-" + i);
  }

  function pick(i) {
    var row = items[i].row;
    closeList();
    show(row);
  }

  function submit() {
    if (active >= 0 && items[active]) { pick(active); return; }
    var typed = input.value;
    closeList();
    var found = resolve(typed);
    if (found.error) { showError(typed, found.error, found.suggestions || []); return; }
    show(found.row, found.notes);
  }

  function showError(query, message, suggestions) {
    current = null;
    answerBox.textContent = "";
    var box = el("div", { "class": "error", id: "error" }, message);
    answerBox.appendChild(box);
    if (suggestions.length) {
      var p = el("div", { "class": "did-you-mean" });
      p.appendChild(el("span", {}, "Did you mean:"));
      suggestions.forEach(function (name) {
        p.appendChild(artistLink(rowOfName(name), name));
      });
      answerBox.appendChild(p);
    }
    mark(null);
  }

  function show(row, nameNotes) {
    current = row;
    currentNote = nameNotes;
    input.value = A.name[row];
    closeList();
    answerBox.textContent = "";
    var answer = answerFor(row, position);
    var title = el("h2", { id: "answer-artist", "data-row": String(row) }, A.name[row]);
    answerBox.appendChild(title);
    var meta = plural(A.listeners[row], "listener") + " · id:" + A.id[row];
    answerBox.appendChild(el("p", { "class": "meta" }, meta));
    if (history.replaceState) {
      history.replaceState(null, "", "#" + encodeURIComponent("id:" + A.id[row]));
    }
    if (answer.error) {
      answerBox.appendChild(el("div", { "class": "error", id: "error" }, answer.error));
      mark(null);
      return;
    }
    // ask.py's notes, in its order: the typed name's first, then the answer's own.
    (nameNotes || []).concat(answer.notes).forEach(function (text) {
      answerBox.appendChild(el("p", { "class": "note" }, "note: " + text));
    });
    answerBox.appendChild(el("p", { "class": "heading" }, heading(answer)));
    var thin = thinNote(answer);
    if (thin) answerBox.appendChild(el("p", { "class": "thin", id: "thin" }, thin));
    if (answer.confidence) {
      answerBox.appendChild(el("p", { "class": "confidence", id: "confidence" }, answer.confidence));
    }
    if (!answer.results.length) {
      answerBox.appendChild(el("p", { "class": "empty" },
        "(no artist passes the filter; try a lower --min-listeners)"));
      mark(row, []);
      return;
    }
    // The columns of ask.py --explain, in its order.
    var columns = [
      ["score", "score", "what the answer is ranked by"],
      ["similarity", "similarity", "cosine of the two artists' vectors"],
      ["listeners", "listeners", "users who list the artist"],
      ["shared_listeners", "shared", "users who list both artists: the evidence behind a neighbour"],
    ];
    var table = el("table", { id: "results" });
    var head = el("tr");
    head.appendChild(el("th", {}, "#"));
    head.appendChild(el("th", { "class": "artist" }, "artist"));
    columns.forEach(function (c) {
      var th = el("th", {}, c[1]);
      th.title = c[2];
      head.appendChild(th);
    });
    table.appendChild(el("thead")).appendChild(head);
    var body = table.appendChild(el("tbody"));
    answer.results.forEach(function (result, i) {
      var plain = {};
      Object.keys(result).forEach(function (k) { if (k !== "row") plain[k] = result[k]; });
      var tr = el("tr", { "data-result": JSON.stringify(plain) });
      tr.appendChild(el("td", { "class": "rank" }, String(i + 1)));
      var cell = el("td", { "class": "artist" });
      cell.appendChild(artistLink(result.row, result.artist));
      tr.appendChild(cell);
      var score = el("td", {}, result.score.toFixed(3));
      score.appendChild(el("span", { "class": "bar", style: "width:" + Math.max(0, result.score) * 40 + "px" }));
      tr.appendChild(score);
      tr.appendChild(el("td", {}, result.similarity.toFixed(3)));
      tr.appendChild(el("td", {}, String(result.listeners)));
      tr.appendChild(el("td", {}, String(result.shared_listeners)));
      body.appendChild(tr);
    });
    answerBox.appendChild(table);
    mark(row, answer.results.map(function (r) { return r.row; }));
  }

  // ---- the map --------------------------------------------------------------------------------------
  // Tableau 20 without its greys, and a few more hues: one colour per region.
  var PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#8cd17d", "#499894", "#d37295", "#a0cbe8", "#ffbe7d", "#86bcb6", "#f1ce63", "#d4a6c8",
    "#b6992d", "#fabfd2", "#e6a06b", "#6b8fd6", "#c7b94f", "#8e6bbf", "#5fa2a8"];
  var M = D.map, mapNode, zoomBox = null;

  function escapeForPlotly(text) {
    // Plotly reads a few HTML tags and entities in text; names must show as written.
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function drawMap() {
    mapNode = document.getElementById("map");
    var hover = M.row.map(function (r) {
      return "<b>" + escapeForPlotly(A.name[r]) + "</b><br>" + plural(A.listeners[r], "listener");
    });
    var size = M.row.map(function (r) { return 3 + 1.6 * Math.log2(1 + A.listeners[r]); });
    var base = {
      type: "scatter", mode: "markers", x: M.x, y: M.y, text: hover, customdata: M.row,
      hovertemplate: "%{text}<extra></extra>", name: "artists",
      marker: {
        size: size, color: M.cluster.map(function (c) { return PALETTE[c % PALETTE.length]; }),
        opacity: 0.55, line: { width: 0 },
      },
    };
    var links = { type: "scatter", mode: "lines", x: [], y: [], hoverinfo: "skip", name: "links",
      line: { color: "rgba(60,60,60,0.35)", width: 1 } };
    var neighbours = { type: "scatter", mode: namesMode(namesShown), x: [], y: [], text: [], customdata: [],
      textposition: "top center", textfont: { size: 12, color: "#1f2328" }, hovertemplate: "%{text}<extra></extra>",
      name: "answer", marker: { size: 11, color: "#ffffff", line: { color: "#1f5fc9", width: 2.5 } } };
    var query = { type: "scatter", mode: "markers+text", x: [], y: [], text: [], customdata: [],
      textposition: "bottom center", textfont: { size: 15, color: "#a40e26" }, hovertemplate: "%{text}<extra></extra>",
      name: "query", marker: { size: 20, symbol: "star", color: "#e0243a", line: { color: "#ffffff", width: 1.5 } } };
    var annotations = M.labels.map(function (label) {
      return {
        x: label.x, y: label.y, text: label.names.map(escapeForPlotly).join("<br>"), showarrow: false,
        font: { size: 11, color: "#2b3137" }, bgcolor: "rgba(255,255,255,0.72)", borderpad: 2,
      };
    });
    var axis = { visible: false, zeroline: false, showgrid: false };
    var layout = {
      margin: { l: 0, r: 0, t: 0, b: 0 }, hovermode: "closest", showlegend: false, dragmode: "pan",
      plot_bgcolor: "#f6f7f9", paper_bgcolor: "#f6f7f9", annotations: annotations,
      xaxis: axis, yaxis: Object.assign({ scaleanchor: "x" }, axis), font: { family: "'Item2vec Names', system-ui, sans-serif" },
    };
    var config = { scrollZoom: true, displaylogo: false, responsive: true,
      modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d"] };
    Plotly.newPlot(mapNode, [base, links, neighbours, query], layout, config);
    mapNode.on("plotly_relayout", namesByZoom);
    mapNode.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (point && point.customdata !== undefined) show(point.customdata);
    });
  }

  function mark(row, neighbourRows) {
    if (!mapNode) return;
    var q = row !== null && onMap.has(row) ? onMap.get(row) : -1;
    var near = (neighbourRows || []).filter(function (r) { return onMap.has(r); }).map(function (r) { return onMap.get(r); });
    var lx = [], ly = [];
    if (q >= 0) {
      near.forEach(function (i) { lx.push(M.x[q], M.x[i], null); ly.push(M.y[q], M.y[i], null); });
    }
    var label = function (i) { return escapeForPlotly(A.name[M.row[i]]); };
    // Each neighbour's name on the side away from the query, so the names fan out around the star.
    var sides = near.map(function (i) {
      return (M.y[i] >= M.y[q] ? "top " : "bottom ") + (M.x[i] >= M.x[q] ? "right" : "left");
    });
    zoomBox = null;
    var layout = {};
    if (q >= 0) {
      var xs = [M.x[q]].concat(near.map(function (i) { return M.x[i]; }));
      var ys = [M.y[q]].concat(near.map(function (i) { return M.y[i]; }));
      zoomBox = [Math.min.apply(null, xs), Math.max.apply(null, xs), Math.min.apply(null, ys), Math.max.apply(null, ys)];
      // Region names would cover the answer's names: hide those within reach of the answer.
      var rx = extent(M.x) / 12, ry = extent(M.y) / 12;
      M.labels.forEach(function (l, i) {
        var covers = xs.some(function (x, j) { return Math.abs(l.x - x) < rx && Math.abs(l.y - ys[j]) < ry; });
        layout["annotations[" + i + "].visible"] = !covers;
      });
      Object.assign(layout, answerRanges());
    } else {
      M.labels.forEach(function (l, i) { layout["annotations[" + i + "].visible"] = true; });
      // Nothing to show (an error, an artist off the map): back to the whole map, not the
      // previous answer's neighbourhood.
      layout["xaxis.autorange"] = true;
      layout["yaxis.autorange"] = true;
    }
    // The marks, the region names and the zoom in one call: each Plotly call redraws all 4,617
    // points (a fifth of a second of CPU), and the zoom decides whether the names show.
    namesShown = zoomBox !== null && namesFit(layout["xaxis.range"]);
    Plotly.update(mapNode, {
      x: [lx, near.map(function (i) { return M.x[i]; }), q >= 0 ? [M.x[q]] : []],
      y: [ly, near.map(function (i) { return M.y[i]; }), q >= 0 ? [M.y[q]] : []],
      text: [[], near.map(label), q >= 0 ? ["<b>" + label(q) + "</b>"] : []],
      textposition: ["top center", sides, "bottom center"],
      customdata: [[], near.map(function (i) { return M.row[i]; }), q >= 0 ? [M.row[q]] : []],
      mode: ["lines", namesMode(namesShown), "markers+text"],
    }, layout, [1, 2, 3]);
    document.getElementById("neighbourhood").disabled = zoomBox === null;
  }

  var namesShown = false;

  function namesFit(xRange) {
    // The answer's names only when zoomed in: over the whole map they would hide each other.
    return Math.abs(xRange[1] - xRange[0]) < extent(M.x) * 0.6;
  }

  function namesMode(show) {
    return show ? "markers+text" : "markers";
  }

  function namesByZoom() {
    // After the reader zooms or pans (mark sets the names with the answer's own zoom).
    var range = mapNode._fullLayout && mapNode._fullLayout.xaxis.range;
    if (!range) return;
    var show = namesFit(range);
    if (show !== namesShown) {
      namesShown = show;
      Plotly.restyle(mapNode, { mode: namesMode(show) }, [2]);
    }
  }

  var extents = new Map();

  function extent(values) {
    // The map's coordinates never change: each extent is computed once.
    if (!extents.has(values)) extents.set(values, Math.max.apply(null, values) - Math.min.apply(null, values));
    return extents.get(values);
  }

  function answerRanges() {
    // At least a fifth of the whole map, so the neighbourhood keeps some context.
    var wx = Math.max(zoomBox[1] - zoomBox[0], extent(M.x) / 5) * 1.35;
    var wy = Math.max(zoomBox[3] - zoomBox[2], extent(M.y) / 5) * 1.35;
    var cx = (zoomBox[0] + zoomBox[1]) / 2, cy = (zoomBox[2] + zoomBox[3]) / 2;
    return { "xaxis.range": [cx - wx / 2, cx + wx / 2], "yaxis.range": [cy - wy / 2, cy + wy / 2] };
  }

  function zoomToAnswer() {
    if (!zoomBox) return;
    var ranges = answerRanges();
    zoomWithNames(ranges, namesFit(ranges["xaxis.range"]));
  }

  function zoomWithNames(ranges, show) {
    // The zoom and the names' mode in one call (two calls would redraw every point twice).
    namesShown = show;
    Plotly.update(mapNode, { mode: namesMode(show) }, ranges, [2]);
  }

  // ---- the --discover slider ------------------------------------------------------------------------
  function setDiscover(x) {
    var at = D.dial.positions.indexOf(x);
    if (at < 0) throw new Error("no dial position " + x);
    position = x;
    var slider = document.getElementById("discover");
    slider.value = String(at);
    document.getElementById("discover-value").textContent =
      "--discover " + String(x) + (x === D.dial.default ? " (default)" : "");
    if (current !== null) show(current, currentNote);
  }

  function startSlider() {
    var slider = document.getElementById("discover");
    slider.max = String(D.dial.positions.length - 1);
    slider.addEventListener("input", function () { setDiscover(D.dial.positions[Number(slider.value)]); });
    setDiscover(position);
  }

  function start() {
    input = document.getElementById("query");
    list = document.getElementById("suggestions");
    answerBox = document.getElementById("answer");
    document.getElementById("about").textContent =
      D.model.n_vectors.toLocaleString("en") + " artists on the map, of " + D.model.n_artists.toLocaleString("en") +
      " in the data (an artist needs " + D.model.min_count + " listeners for a vector; the others are answered " +
      "from the artists their listeners play). Answers as ask.py --explain --discover gives them at the " +
      "slider's position (top " + D.ask.top +
      (D.ask.min_listeners > 0 ? ", at least " + plural(D.ask.min_listeners, "listener") : "") + "), item2vec " +
      D.model.item2vec_version + ". Drag to pan, scroll to zoom, click an artist to ask for it.";
    input.addEventListener("input", renderList);
    input.addEventListener("focus", function () { if (input.value) renderList(); });
    input.addEventListener("blur", function () {
      // Later, so a click on a suggestion lands first; not at all if the box has the focus again.
      setTimeout(function () { if (document.activeElement !== input) closeList(); }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" && items.length) { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp" && items.length) { e.preventDefault(); highlight(Math.max(active - 1, -1)); }
      else if (e.key === "Enter") { e.preventDefault(); submit(); }
      else if (e.key === "Escape") closeList();
    });
    document.getElementById("whole-map").addEventListener("click", function () {
      // The whole map is wider than names are shown at.
      zoomWithNames({ "xaxis.autorange": true, "yaxis.autorange": true }, false);
    });
    document.getElementById("neighbourhood").addEventListener("click", zoomToAnswer);
    startSlider();
    if (typeof Plotly !== "undefined") drawMap();
    var wanted = decodeURIComponent(location.hash.slice(1));
    if (wanted) {
      var found = resolve(wanted);
      if (found.error) showError(wanted, found.error, found.suggestions || []);
      else show(found.row, found.notes);
    }
  }

  // For the tests, and for anyone curious in the browser console.
  window.explorer = {
    normalize: normalize, asciiKey: asciiKey, skeleton: skeleton, unquote: unquote, resolve: resolve, suggest: suggest, completions: completions,
    tokenSetRatio: function (a, b) { return tokenSetRatio(tokenSet(a), tokenSet(b)); },
    ratio: function (a, b) { return similarity(codePoints(a), codePoints(b)) * 100; },
    fuzzyKeys: function () { var f = fuzzyIndex(); return { keys: f.keys, rows: f.rows }; },
    answerFor: answerFor, show: show, violations: violations, current: function () { return current; },
    setDiscover: setDiscover, unpack: unpack,
  };
  document.addEventListener("DOMContentLoaded", start);
})();
