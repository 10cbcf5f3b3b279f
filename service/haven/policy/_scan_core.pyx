# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""The scan's hottest loops in compiled code, each the twin of a Python function kept as
the fallback where this extension is not built (see haven.policy.compiled): the tests hold
both to the same answers on every input (tests/unit/policy/test_compiled_scan.py).

Why compiled: in Python these loops pay for an object per character or per hit. Wrapping
pyahocorasick's iterator left that cost where it was (each hit a tuple the iterator makes
and the loop unpacks), so this module owns its automaton.
"""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport (
    Py_UNICODE_ISALNUM, Py_UNICODE_ISALPHA, Py_UNICODE_ISDECIMAL, Py_UNICODE_ISSPACE, Py_UNICODE_ISUPPER,
    PyUnicode_DATA, PyUnicode_KIND, PyUnicode_READ,
)
from libc.stdint cimport int32_t, uint16_t
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.string cimport memset
from libc.math cimport log, sqrt
from cpython.array cimport array


# A move in PhraseMatcher's table: the state it leads to, and a bit above the states' numbers
# that says a key ends there. Two bytes a move where the states fit in 15 bits (the default
# pack's 17,092 do), four otherwise.
ctypedef fused move_t:
    uint16_t
    int32_t

cdef int32_t _NARROW_OUTPUT = 1 << 15
cdef int32_t _WIDE_OUTPUT = 1 << 30


cdef class PhraseMatcher:
    """Every key of one phrase automaton. `keys` holds (key, key number, open-ended)
    triples; `collect` answers each hit as (start, end) in the folded text, the view being
    the text padded by one space each side.

    A full transition table over character classes: each character some key holds has a
    class of its own, every other character is class 0, which no key holds, so it leads
    back to the root. Failure moves are folded into the table when it is built, so the
    search is one table step a character, and each move says whether a key ends where it
    leads, so a character that ends none reads the table alone. Judging a batch of posts
    pushes the table out of the CPU's caches between one post's phrase pass and the next;
    the smaller it is, the less each pass pays to read it back (bench/README.md).
    """

    # state * classes + class -> move (see move_t), in one of the two widths
    cdef uint16_t *_narrow
    cdef int32_t *_moves
    cdef int32_t _output  # the bit of a move that says a key ends where it leads
    cdef int32_t *_key  # the key number ending at each state, or -1
    cdef int32_t *_shorter  # the nearest state down the failure chain where a key ends, or -1
    cdef int32_t *_length  # each key's length, by key number
    cdef unsigned char *_open  # whether each key runs on to the end of its word
    cdef int32_t _ascii[128]
    cdef dict _wide  # the class of each character beyond ASCII that some key holds
    cdef Py_ssize_t _classes
    cdef readonly Py_ssize_t states

    def __cinit__(self) -> None:
        self._moves = self._key = self._shorter = self._length = NULL
        self._narrow = NULL
        self._open = NULL

    def __dealloc__(self) -> None:
        PyMem_Free(self._narrow)
        PyMem_Free(self._moves)
        PyMem_Free(self._key)
        PyMem_Free(self._shorter)
        PyMem_Free(self._length)
        PyMem_Free(self._open)

    def __init__(self, keys) -> None:
        cdef Py_ssize_t i, state, child, fail_state, head, tail, c, classes, count, numbers
        cdef int32_t *fail
        cdef int32_t *queue
        if self._moves != NULL or self._narrow != NULL:
            raise RuntimeError("a PhraseMatcher is built once")
        entries = [(str(key), int(number), bool(is_open)) for key, number, is_open in keys]
        alphabet = sorted({ch for key, _, _ in entries for ch in key})
        by_char = {ch: i + 1 for i, ch in enumerate(alphabet)}
        classes = self._classes = len(alphabet) + 1
        for i in range(128):
            self._ascii[i] = by_char.get(chr(i), 0)
        self._wide = {ord(ch): c for ch, c in by_char.items() if ord(ch) >= 128}
        # The trie first, in Python (a load-time cost): a row per state, -1 where no key goes on.
        rows = [[-1] * classes]
        ends = [-1]
        for key, number, _ in entries:
            state = 0
            for ch in key:
                c = by_char[ch]
                child = rows[state][c]
                if child < 0:
                    child = len(rows)
                    rows[state][c] = child
                    rows.append([-1] * classes)
                    ends.append(-1)
                state = child
            ends[state] = number
        count = self.states = len(rows)
        if count >= _WIDE_OUTPUT:
            raise MemoryError("too many phrase states for one automaton")
        numbers = max((number for _, number, _ in entries), default=-1) + 1
        self._moves = <int32_t *>PyMem_Malloc(count * classes * sizeof(int32_t))
        self._key = <int32_t *>PyMem_Malloc(count * sizeof(int32_t))
        self._shorter = <int32_t *>PyMem_Malloc(count * sizeof(int32_t))
        self._length = <int32_t *>PyMem_Malloc((numbers + 1) * sizeof(int32_t))
        self._open = <unsigned char *>PyMem_Malloc(numbers + 1)
        fail = <int32_t *>PyMem_Malloc(count * sizeof(int32_t))
        queue = <int32_t *>PyMem_Malloc(count * sizeof(int32_t))
        if not (self._moves and self._key and self._shorter and self._length and self._open and fail and queue):
            PyMem_Free(fail)
            PyMem_Free(queue)
            raise MemoryError()
        try:
            memset(self._open, 0, numbers + 1)
            for key, number, is_open in entries:
                self._length[number] = len(key)
                self._open[number] = is_open
            for state in range(count):
                self._key[state] = ends[state]
                self._shorter[state] = -1
                for c in range(classes):
                    self._moves[state * classes + c] = rows[state][c]
            # Breadth first, so that a state's failure state is done before the state itself.
            head = tail = 0
            for c in range(classes):
                child = self._moves[c]
                if child < 0:
                    self._moves[c] = 0
                else:
                    fail[child] = 0
                    queue[tail] = child
                    tail += 1
            while head < tail:
                state = queue[head]
                head += 1
                fail_state = fail[state]
                self._shorter[state] = fail_state if self._key[fail_state] >= 0 else self._shorter[fail_state]
                for c in range(classes):
                    child = self._moves[state * classes + c]
                    if child < 0:
                        self._moves[state * classes + c] = self._moves[fail_state * classes + c]
                    else:
                        fail[child] = self._moves[fail_state * classes + c]
                        queue[tail] = child
                        tail += 1
            # Each move marked where a key ends where it leads (there or down its failure chain).
            self._output = _NARROW_OUTPUT if count < _NARROW_OUTPUT else _WIDE_OUTPUT
            for head in range(count * classes):
                child = self._moves[head]
                if self._key[child] >= 0 or self._shorter[child] >= 0:
                    self._moves[head] = child | self._output
            if self._output == _NARROW_OUTPUT:
                self._narrow = <uint16_t *>PyMem_Malloc(count * classes * sizeof(uint16_t))
                if not self._narrow:
                    raise MemoryError()
                for head in range(count * classes):
                    self._narrow[head] = <uint16_t>self._moves[head]
                PyMem_Free(self._moves)
                self._moves = NULL
        finally:
            PyMem_Free(fail)
            PyMem_Free(queue)

    def collect(self, str view, dict found) -> None:
        """Adds each hit in `view` to `found` (key number -> spans in start order)."""
        if self._narrow != NULL:
            _collect(self, self._narrow, view, found)
        else:
            _collect(self, self._moves, view, found)


cdef int _collect(PhraseMatcher matcher, move_t *moves, str view, dict found) except -1:
    """PhraseMatcher.collect over a table of either width."""
    cdef Py_ssize_t n = len(view), i, j, start, end
    cdef Py_ssize_t classes = matcher._classes
    cdef int32_t state = 0, at, key, c, output = matcher._output
    cdef int32_t *keys = matcher._key
    cdef int32_t *shorter = matcher._shorter
    cdef Py_UCS4 ch
    for i in range(n):
        ch = view[i]
        if ch < 128:
            c = matcher._ascii[ch]
        else:
            c = matcher._wide.get(<long>ch, 0)  # keyed by code point: a Py_UCS4 would become a str
        state = moves[state * classes + c]
        if not state & output:
            continue
        state &= ~output
        at = state if keys[state] >= 0 else shorter[state]
        while at >= 0:
            key = keys[at]
            start = i - matcher._length[key] + 1  # the key's leading space; the phrase starts one later
            end = i
            if matcher._open[key]:
                # An open-ended key's hit runs on to the end of its word.
                j = i + 1
                while j < n and view[j] != u' ':
                    j += 1
                end = j
            spans = found.get(key)
            if spans is None:
                found[key] = [(start, end - 1)]
            else:
                (<list>spans).append((start, end - 1))
            at = shorter[at]
    return 0


def by_group(dict found, list key_groups, dict groups):
    """Adds each key's spans in `found` to the groups the key belongs to (`key_groups`, by key
    number): `groups` maps a group to the span lists of its keys that were hit. The twin of
    scan._by_group_python."""
    cdef object key, spans, group, listed
    for key, spans in found.items():
        for group in <tuple>key_groups[key]:
            listed = groups.get(group)
            if listed is None:
                groups[group] = [spans]
            else:
                (<list>listed).append(spans)


def has_leet_in_a_word(str text):
    """A digit or symbol touching a letter, as in "k1ll" or "d!e" ("!" only before one): the
    twin of scan._has_leet_in_a_word_python."""
    cdef Py_ssize_t n = len(text), at
    cdef Py_UCS4 ch
    for at in range(n):
        ch = text[at]
        if ch in u"013457@$|+!":
            if at + 1 < n and Py_UNICODE_ISALPHA(text[at + 1]):
                return True
            if at > 0 and ch != u'!' and Py_UNICODE_ISALPHA(text[at - 1]):
                return True
    return False


def digit_runs(str text):
    """Where each run of digits (`\\d+`: any decimal digit, as the pattern reads it) starts and
    ends: the twin of pii._digit_runs_python, one pass over the text's own storage with no
    match object per run."""
    cdef Py_ssize_t n = len(text), at = 0, start
    cdef unsigned int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef list runs = []
    while at < n:
        if _is_digit(PyUnicode_READ(kind, data, at)):
            start = at
            at += 1
            while at < n and _is_digit(PyUnicode_READ(kind, data, at)):
                at += 1
            runs.append((start, at))
        at += 1
    return tuple(runs)


cdef inline bint _is_digit(Py_UCS4 ch):
    # What `\\d` matches in a str pattern: a decimal digit of any script.
    return (u'0' <= ch <= u'9') or (ch >= 128 and Py_UNICODE_ISDECIMAL(ch))


def words_in(str text, Py_ssize_t start, Py_ssize_t end, frozenset words, Py_ssize_t longest):
    """The whole words (`(?<!\\w)\\w+`, read in text[start:end] as a pattern searching
    from `start` to `end` reads them) that are in `words`, none longer than `longest`: the
    twin of pii._words_in_python, copying only the words short enough to be one of them."""
    cdef Py_ssize_t n = len(text), at, first
    cdef unsigned int kind = PyUnicode_KIND(text)
    cdef void *data = PyUnicode_DATA(text)
    cdef set found = set()
    cdef object word
    if end > n:
        end = n
    if start < 0:
        start = 0
    at = start
    # A word begun before `start` is not a whole word there: the pattern looks behind it.
    if at > 0:
        while at < end and _is_word(PyUnicode_READ(kind, data, at)) and _is_word(PyUnicode_READ(kind, data, at - 1)):
            at += 1
    while at < end:
        if not _is_word(PyUnicode_READ(kind, data, at)):
            at += 1
            continue
        first = at
        while at < end and _is_word(PyUnicode_READ(kind, data, at)):
            at += 1
        if at - first <= longest:
            word = text[first:at]
            if word in words:
                found.add(word)
    return found


cdef inline bint _is_word(Py_UCS4 ch):
    # What `\\w` matches in a str pattern.
    return Py_UNICODE_ISALNUM(ch) or ch == u'_'


def fill_name_words(str text, str original, list starts, list ends, list candidates, list original_starts,
                    frozenset not_names, list known, Py_ssize_t low, Py_ssize_t high):
    """Fills each empty `known[i]` for i in [low, high) with candidate word i's span, where its
    name starts and whether it names someone: the twin of scan._fill_name_words_python, the
    word's characters read in place."""
    cdef Py_ssize_t index, word, w_start, w_end, head
    for index in range(low, high):
        if known[index] is not None:
            continue
        word = candidates[index]
        w_start = starts[word]
        w_end = ends[word]
        head = w_start
        if w_start >= 2 and text[w_start - 2] == u'u' and text[w_start - 1] == u'/':
            head = w_start - 2
        elif w_start >= 1 and text[w_start - 1] == u'@':
            head = w_start - 1
        known[index] = (w_start, w_end, head,
                        _is_name(text, original, head, w_end, original_starts[word], not_names))


cdef bint _is_name(str text, str original, Py_ssize_t start, Py_ssize_t end, Py_ssize_t orig_start,
                   frozenset not_names):
    """scan._is_name, not at a sentence's start."""
    cdef Py_ssize_t at
    cdef Py_UCS4 ch
    cdef bint letters = False
    if end > start and text[start] == u'@':
        return True
    if end > start + 1 and text[start] == u'u' and text[start + 1] == u'/':
        return True
    for at in range(start, end):
        ch = text[at]
        if ch == u"'":
            continue
        if not Py_UNICODE_ISALPHA(ch):
            return False
        letters = True
    if not letters or text[start:end] in not_names:
        return False
    if orig_start >= len(original) or not Py_UNICODE_ISUPPER(original[orig_start]):
        return False
    at = orig_start - 1
    while at >= 0 and Py_UNICODE_ISSPACE(original[at]):
        at -= 1
    return at >= 0 and original[at] not in u".!?:\"'"


def split_words(str text, str view):
    """Where each word starts and ends in `text` (`\\w+(?:'\\w+)*`), from its word view:
    the twin of scan._split_words_python, one pass over the view with no piece of text copied."""
    cdef Py_ssize_t n = len(view), p, start
    cdef list starts = [], ends = []
    cdef bint in_word = False
    for p in range(1, n):
        if view[p] != u' ':
            if not in_word:
                in_word = True
                start = p - 1
                # An apostrophe between two word characters joins their words ("don't"):
                # the word that ended just before it goes on.
                if (start >= 2 and text[start - 1] == u"'" and ends
                        and <Py_ssize_t>ends[len(ends) - 1] == start - 1):
                    ends.pop()
                else:
                    starts.append(start)
        elif in_word:
            in_word = False
            ends.append(p - 1)
    return starts, ends


cdef inline bint _ends_sentence(Py_UCS4 ch):
    return ch == u'.' or ch == u'!' or ch == u'?'


def sentences(str text, Py_ssize_t longest, sentence):
    """The sentences of normalised text as `sentence(start, end, words, features)`, those
    without a word left out: the twin of classifier._sentences_python, read the way its regular
    expressions read (Python's own Unicode tests for \\s and \\w, which these are), with
    no match object or substring made but the words."""
    cdef Py_ssize_t n = len(text), at = 0, start, stop, end, q, first
    cdef Py_UCS4 ch
    cdef list found = [], words
    while at < n:
        ch = text[at]
        if _ends_sentence(ch) or Py_UNICODE_ISSPACE(ch):
            at += 1
            continue
        # [^.!?\s][^.!?\n]*[.!?]*
        start = at
        at += 1
        while at < n and not _ends_sentence(text[at]) and text[at] != u'\n':
            at += 1
        while at < n and _ends_sentence(text[at]):
            at += 1
        stop = at
        # Its words: [^\W_]+(?:'[^\W_]+)*|[!?], none longer than `longest`.
        words = []
        q = start
        while q < stop:
            ch = text[q]
            if Py_UNICODE_ISALNUM(ch):
                first = q
                q += 1
                while True:
                    while q < stop and Py_UNICODE_ISALNUM(text[q]):
                        q += 1
                    if q + 1 < stop and text[q] == u"'" and Py_UNICODE_ISALNUM(text[q + 1]):
                        q += 1
                    else:
                        break
                if q - first <= longest:
                    words.append(text[first:q])
            elif ch == u'!' or ch == u'?':
                words.append(text[q:q + 1])
                q += 1
            else:
                q += 1
        if not words:
            continue
        end = stop
        while end > start and Py_UNICODE_ISSPACE(text[end - 1]):
            end -= 1
        pairs = [f"{words[i - 1]} {words[i]}" for i in range(1, len(words))]
        found.append(sentence(start, end, len(words), (*words, *pairs)))
    return found


def assess(counts, dict index, array table, tuple bias):
    """Every model's log-odds for a text with these feature counts: the twin of
    classifier._assess_python, the same sums in the same order (so the same bits), in
    one pass over the counts and C loops over the models' table instead of Python ones.
    Returns (log-odds, known features, their rows, each model's divisor)."""
    cdef Py_ssize_t m = len(bias), width = 2 * m, size = len(table), n, k, j, at
    cdef list known = [], rows = []
    cdef object feature, count, row
    cdef double *weights = table.data.as_doubles
    cdef double *tf
    cdef double *sums
    cdef Py_ssize_t *starts
    cdef double t, c
    if not isinstance(counts, dict):  # a Counter, read as the dict it is
        raise TypeError("counts must be a dict")
    if table.ob_descr.typecode != c'd':
        raise TypeError("the table must be an array of doubles")
    n = len(<dict>counts)
    tf = <double *>PyMem_Malloc((n + 2 * m + 1) * sizeof(double))
    starts = <Py_ssize_t *>PyMem_Malloc((n + 1) * sizeof(Py_ssize_t))
    if tf == NULL or starts == NULL:
        PyMem_Free(tf)
        PyMem_Free(starts)
        raise MemoryError()
    sums = tf + n  # m squared norms (then divisors), then m sums
    try:
        n = 0
        for feature, count in (<dict>counts).items():
            row = index.get(feature)
            if row is not None:
                at = <Py_ssize_t>row * width
                if at < 0 or at + width > size:
                    raise IndexError(f"row {row} is outside the table")
                c = count
                if c <= 0.0:  # as math.log says of the Python twin's
                    raise ValueError("math domain error")
                known.append(feature)
                rows.append(row)
                starts[n] = at
                tf[n] = 1.0 + log(c)
                n += 1
        for j in range(2 * m):
            sums[j] = 0.0
        for k in range(n):
            t = tf[k] * tf[k]
            for j in range(m):
                sums[j] += t * weights[starts[k] + m + j]
        for j in range(m):
            sums[j] = sqrt(sums[j]) if sums[j] > 0.0 else 1.0
        for k in range(n):
            for j in range(m):
                sums[m + j] += tf[k] * weights[starts[k] + j] / sums[j]
        return (
            tuple([<double>bias[j] + sums[m + j] for j in range(m)]),
            known,
            rows,
            tuple([sums[j] for j in range(m)]),
        )
    finally:
        PyMem_Free(tf)
        PyMem_Free(starts)


def merged_spans(list by_key):
    """The spans of several keys' lists (each in order) in one list in order, each span once:
    the twin of scan._merged_spans_python. Sorted as Python sorts (the lists joined end to end are
    runs its sort merges), then equal neighbours dropped by comparing their numbers, where
    the Python twin hashes every span."""
    cdef list joined = []
    cdef list kept
    cdef Py_ssize_t i, n
    cdef tuple span, last
    for spans in by_key:
        joined.extend(<list>spans)
    joined.sort()
    n = len(joined)
    if n == 0:
        return joined
    last = <tuple>joined[0]
    kept = [last]
    for i in range(1, n):
        span = <tuple>joined[i]
        if span[0] != last[0] or span[1] != last[1]:
            kept.append(span)
            last = span
    return kept


cdef inline Py_ssize_t _span_index(list spans, Py_ssize_t start, Py_ssize_t end):
    """bisect.bisect_left(spans, (start, end)) for a list of (int, int) in order."""
    cdef Py_ssize_t low = 0, high = len(spans), middle, at
    cdef tuple span
    while low < high:
        middle = (low + high) >> 1
        span = <tuple>spans[middle]
        at = span[0]
        if at < start or (at == start and <Py_ssize_t>span[1] < end):
            low = middle + 1
        else:
            high = middle
    return low


cdef inline Py_ssize_t _words_before(list starts, Py_ssize_t at):
    """bisect.bisect_left(starts, at): how many words start before `at`."""
    cdef Py_ssize_t low = 0, high = len(starts), middle
    while low < high:
        middle = (low + high) >> 1
        if <Py_ssize_t>starts[middle] < at:
            low = middle + 1
        else:
            high = middle
    return low


cdef inline bint _sentence_breaks(str text, Py_ssize_t start, Py_ssize_t end):
    """Whether `text[start:end]` holds one of ".!?;" (engine._SENTENCE_BREAK)."""
    cdef Py_ssize_t at
    for at in range(start, end):
        if text[at] in u".!?;":
            return True
    return False


def negating_hit(Py_ssize_t start, Py_ssize_t end, tuple present, list starts, str text):
    """The negation hit that negates the span [start, end), or None: the twin of
    engine._negating_hit_python, with its binary searches and sentence test on C integers."""
    return _negating_hit(start, end, present, starts, text)


def unnegated(list spans, tuple present, list starts, str text, dict known, object key):
    """The spans that no negation in `present` negates, in order; what each answered is kept
    in `known` under (key, span) and read from there when asked again. The twin of
    engine._unnegated_python."""
    cdef list kept = []
    cdef tuple span
    cdef object answer
    for item in spans:
        span = <tuple>item
        answer = known.get((key, span))
        if answer is None:
            answer = _negating_hit(span[0], span[1], present, starts, text) is not None
            known[(key, span)] = answer
        if not answer:
            kept.append(span)
    return kept


cdef object _negating_hit(Py_ssize_t start, Py_ssize_t end, tuple present, list starts, str text):
    cdef Py_ssize_t start_words = -1, end_words = -1, index, at, edge, within, size
    cdef list hits
    for negation, found in present:
        hits = <list>found
        within = negation.within
        if negation.before:
            index = _span_index(hits, start, start)
            for at in range(index - 3 if index > 3 else 0, index):
                edge = (<tuple>hits[at])[1]
                if edge > start:
                    continue
                if edge < start:
                    if start_words < 0:
                        start_words = _words_before(starts, start)
                    if start_words - _words_before(starts, edge) > within or _sentence_breaks(text, edge, start):
                        continue
                return hits[at]
        if negation.after:
            index = _span_index(hits, end, end)
            size = len(hits)
            for at in range(index, index + 3 if index + 3 < size else size):
                edge = (<tuple>hits[at])[0]
                if edge > end:
                    if end_words < 0:
                        end_words = _words_before(starts, end)
                    if _words_before(starts, edge) - end_words > within or _sentence_breaks(text, end, edge):
                        continue
                return hits[at]
    return None


def collapse_spaces(str text, segment):
    """ASCII `text` lowered, each run of two or more spaces as one, with the segments
    (`segment(norm_start, orig_start, norm_length, orig_length, copied)`) that map its
    offsets back: the twin of normalise._fold on ASCII text, the runs found by str.find and
    the text lowered once."""
    cdef Py_ssize_t n = len(text), at, run, last = 0, position = 0
    cdef list pieces = [], segments = []
    lowered = text.lower()
    at = text.find(u"  ")
    while at >= 0:
        run = at + 2
        while run < n and text[run] == u' ':
            run += 1
        if at > last:
            pieces.append(lowered[last:at])
            segments.append(segment(position, last, at - last, at - last, True))
            position += at - last
        segments.append(segment(position, at, 1, run - at, False))
        pieces.append(u" ")
        position += 1
        last = run
        at = text.find(u"  ", run)
    if n > last:
        pieces.append(lowered[last:n])
        segments.append(segment(position, last, n - last, n - last, True))
    return "".join(pieces), segments


def capitalised(str text, list starts):
    """The indexes of `starts` (ascending offsets into `text`) where `text` has an upper-case
    letter (str.isupper of that one character); an offset past the end has none. The twin
    of scan._capitalised_python."""
    cdef Py_ssize_t n = len(text), i, count = len(starts), at
    cdef list found = []
    for i in range(count):
        at = <Py_ssize_t>starts[i]
        if 0 <= at < n and Py_UNICODE_ISUPPER(text[at]):
            found.append(i)
    return found


def hit_words(list starts, list hits, Py_ssize_t side):
    """For each hit (start, end), how many of `starts` (ascending) lie before its start
    (`side` 0) or its end (`side` 1): the twin of scan._hit_words_python."""
    cdef list found = []
    cdef tuple hit
    for item in hits:
        hit = <tuple>item
        found.append(_words_before(starts, <Py_ssize_t>hit[side]))
    return found


def original_starts(list segments, list segment_starts, list starts):
    """Where each of `starts` (ascending folded offsets) begins in the original text, from
    the text's segments (norm_start, orig_start, norm_length, orig_length, copied) and where
    each starts: one walk over both. The twin of normalise._original_starts_python."""
    cdef Py_ssize_t count = len(segments), n = len(starts), k, j = 0, following, at, shift
    cdef list found = []
    cdef tuple segment
    for k in range(count):
        if j >= n:
            break
        following = <Py_ssize_t>segment_starts[k + 1] if k + 1 < count else PY_SSIZE_T_MAX
        segment = <tuple>segments[k]
        if segment[4]:
            shift = <Py_ssize_t>segment[1] - <Py_ssize_t>segment[0]
            while j < n:
                at = <Py_ssize_t>starts[j]
                if at >= following:
                    break
                found.append(at + shift)
                j += 1
        else:
            while j < n and <Py_ssize_t>starts[j] < following:
                found.append(segment[1])
                j += 1
    return found


def near_pairs(list firsts, list first_starts, list first_ends, list seconds, list second_starts,
               second_ends, Py_ssize_t within, Py_ssize_t reach):
    """The pairs of a first and a second hit within `within` words of each other, in order,
    each once: the twin of engine._near_pairs_python, with its searches and word arithmetic
    on C integers."""
    cdef set pairs = set()
    cdef Py_ssize_t count = len(firsts), size = len(seconds), i, index, before, after, a_start, a_end
    cdef tuple a, b
    cdef list ends = second_ends
    for i in range(count):
        a = <tuple>firsts[i]
        a_start = a[0]
        a_end = a[1]
        before = <Py_ssize_t>first_starts[i]
        after = <Py_ssize_t>first_ends[i]
        for index in range(_span_index(seconds, a_end, a_end), size):
            if <Py_ssize_t>second_starts[index] - after > within:
                break
            pairs.add((a, seconds[index], True))
        if ends is None:
            continue
        index = _span_index(seconds, a_start, a_start) - 1
        while index >= 0:
            b = <tuple>seconds[index]
            if before - <Py_ssize_t>second_starts[index] > reach:
                break
            if <Py_ssize_t>b[1] <= a_start and before - <Py_ssize_t>ends[index] <= within:
                pairs.add((b, a, False))
            index -= 1
    return sorted(pairs)
