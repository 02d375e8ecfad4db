//! Git objects read in this process: loose objects and packs (`.idx` version 2 beside its
//! `.pack`, entries whole or as offset and reference deltas), inflated with zlib-rs.
//!
//! It only speeds reading up: git answers whatever this cannot (an object in an alternate
//! store, only in a multi-pack index or not yet fetched by a partial clone, a pack index of
//! another version or too large to load, data that does not decode). Sizes are checked
//! before anything is inflated, so a file over the limit costs nothing, and memory stays
//! within a small multiple of the limit. Reading two large files takes two cores, where
//! `git cat-file` inflates them one after the other.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};

use flate2::{Decompress, FlushDecompress, Status};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The type of a git object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A commit.
    Commit,
    /// A directory listing.
    Tree,
    /// File contents.
    Blob,
    /// An annotated tag.
    Tag,
}

impl Kind {
    /// The name git gives it (`blob`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
            Kind::Tag => "tag",
        }
    }

    /// From git's name.
    pub(crate) fn from_name(name: &[u8]) -> Option<Kind> {
        match name {
            b"commit" => Some(Kind::Commit),
            b"tree" => Some(Kind::Tree),
            b"blob" => Some(Kind::Blob),
            b"tag" => Some(Kind::Tag),
            _ => None,
        }
    }

    fn from_pack_type(code: u8) -> Option<Kind> {
        match code {
            1 => Some(Kind::Commit),
            2 => Some(Kind::Tree),
            3 => Some(Kind::Blob),
            4 => Some(Kind::Tag),
            _ => None,
        }
    }
}

/// An object found here.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    /// Its type and contents.
    Object(Kind, Vec<u8>),
    /// Larger than the limit: its size, nothing inflated.
    TooLarge(u64),
}

/// Pack entry types that are deltas.
const OFS_DELTA: u8 = 6;
const REF_DELTA: u8 = 7;
/// Deltas followed (one stack frame each) before leaving the object to git: git's default
/// chains are 50 long, `gc --aggressive` makes 250, and `--depth` allows up to 4095, deeper
/// than a thread's stack should go here.
const MAX_DELTA_DEPTH: u32 = 512;
/// Pack indexes larger than this (about a million objects) are left to git.
const MAX_INDEX_BYTES: u64 = 64 << 20;
/// Resolved delta bases kept for the next delta of the same chain (as git's
/// `core.deltaBaseCacheLimit`, smaller).
const BASE_CACHE_BYTES: usize = 32 << 20;
/// A delta base may be this many times the limit before it is left to git.
const BASE_LIMIT_FACTOR: u64 = 4;

/// The object database of one repository (`.git/objects`, or the common directory's).
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
    packs: OnceLock<Vec<Pack>>,
    /// Delta bases by (pack, offset).
    bases: Mutex<BaseCache>,
}

/// A resolved object: its type and contents.
type Resolved = (Kind, Arc<Vec<u8>>);

#[derive(Debug, Default)]
struct BaseCache {
    bytes: usize,
    /// By pack number and offset.
    entries: HashMap<(usize, u64), Resolved>,
}

#[derive(Debug)]
struct Pack {
    index: Index,
    file: File,
}

/// A pack index, version 2: a fan-out table, the sorted object names, their CRCs and their
/// offsets (large ones in a table of their own).
#[derive(Debug)]
struct Index {
    data: Vec<u8>,
    count: usize,
    hash_len: usize,
}

impl Index {
    const HEADER: usize = 8;
    const FANOUT: usize = 256 * 4;

    fn parse(data: Vec<u8>, hash_len: usize) -> Option<Index> {
        if data.len() < Self::HEADER + Self::FANOUT || data[..8] != *b"\xfftOc\0\0\0\x02" {
            return None;
        }
        let count = usize::try_from(be32(&data, Self::HEADER + 255 * 4)?).ok()?;
        // names, CRCs and offsets, then two checksums at least
        let minimum = Self::HEADER + Self::FANOUT + count.checked_mul(hash_len + 8)?;
        (data.len() >= minimum + 2 * hash_len).then_some(Index {
            data,
            count,
            hash_len,
        })
    }

    fn fanout(&self, byte: u8) -> Option<usize> {
        usize::try_from(be32(&self.data, Self::HEADER + usize::from(byte) * 4)?).ok()
    }

    fn name(&self, i: usize) -> &[u8] {
        let start = Self::HEADER + Self::FANOUT + i * self.hash_len;
        &self.data[start..start + self.hash_len]
    }

    /// The offset of an object in the pack.
    fn find(&self, id: &[u8]) -> Option<u64> {
        let first = *id.first()?;
        let high = self.fanout(first)?.min(self.count);
        let low = if first == 0 {
            0
        } else {
            self.fanout(first - 1)?.min(high)
        };
        let (mut low, mut high) = (low, high);
        while low < high {
            let middle = low + (high - low) / 2;
            match self.name(middle).cmp(id) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return self.offset(middle),
            }
        }
        None
    }

    fn offset(&self, i: usize) -> Option<u64> {
        let offsets = Self::HEADER + Self::FANOUT + self.count * (self.hash_len + 4);
        let small = be32(&self.data, offsets + i * 4)?;
        if small & 0x8000_0000 == 0 {
            return Some(u64::from(small));
        }
        let large = offsets + self.count * 4 + usize::try_from(small & 0x7fff_ffff).ok()? * 8;
        let bytes = self.data.get(large..large + 8)?;
        Some(u64::from_be_bytes(bytes.try_into().ok()?))
    }
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// Something this reader does not handle, or data that does not decode: git is asked.
fn unreadable(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

impl Store {
    /// The store in `dir` (a repository's `objects` directory). Nothing is read yet.
    pub(crate) fn new(dir: PathBuf) -> Store {
        Store {
            dir,
            packs: OnceLock::new(),
            bases: Mutex::new(BaseCache::default()),
        }
    }

    /// Reads an object by its binary name. `Ok(None)` when it is not here (ask git);
    /// an error when it is here but cannot be read by this reader (ask git too).
    pub(crate) fn read(&self, id: &[u8], limit: u64) -> io::Result<Option<Found>> {
        let bases = limit.saturating_mul(BASE_LIMIT_FACTOR);
        self.read_within(id, Limits { limit, bases })
    }

    fn read_within(&self, id: &[u8], limits: Limits) -> io::Result<Option<Found>> {
        let packs = self.packs(id.len());
        for (number, pack) in packs.iter().enumerate() {
            if let Some(offset) = pack.index.find(id) {
                return self.packed(packs, number, offset, limits, 0).map(Some);
            }
        }
        self.loose(id, limits.limit)
    }

    fn packs(&self, hash_len: usize) -> &[Pack] {
        self.packs.get_or_init(|| {
            let Ok(listing) = std::fs::read_dir(self.dir.join("pack")) else {
                return Vec::new();
            };
            let mut packs = Vec::new();
            for entry in listing.flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "idx") {
                    continue;
                }
                match Pack::open(&path, hash_len) {
                    Ok(Some(pack)) => packs.push(pack),
                    Ok(None) => log::debug!("{}: left to git", path.display()),
                    Err(error) => log::debug!("{}: {error}; left to git", path.display()),
                }
            }
            packs
        })
    }

    fn loose(&self, id: &[u8], limit: u64) -> io::Result<Option<Found>> {
        let hex = hex(id);
        let path = self.dir.join(&hex[..2]).join(&hex[2..]);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error),
        };
        let compressed = file.metadata()?.len();
        let mut stream = Inflate::new(file, compressed);
        // `<type> <size>\0`, then the contents
        let mut header = Vec::with_capacity(32);
        let mut byte = [0u8];
        loop {
            stream.read_exact(&mut byte)?;
            if byte[0] == 0 {
                break;
            }
            header.push(byte[0]);
            if header.len() > 32 {
                return Err(unreadable("loose object header too long"));
            }
        }
        let (kind, size) = header
            .iter()
            .position(|b| *b == b' ')
            .and_then(|space| {
                let kind = Kind::from_name(&header[..space])?;
                let size = std::str::from_utf8(&header[space + 1..])
                    .ok()?
                    .parse()
                    .ok()?;
                Some((kind, size))
            })
            .ok_or_else(|| unreadable("bad loose object header"))?;
        if size > limit {
            return Ok(Some(Found::TooLarge(size)));
        }
        stream
            .into_vec(Vec::new(), size)
            .map(|data| Some(Found::Object(kind, data)))
    }

    /// The object at `offset` of a pack, its deltas applied.
    fn packed(
        &self,
        packs: &[Pack],
        number: usize,
        offset: u64,
        limits: Limits,
        depth: u32,
    ) -> io::Result<Found> {
        let limit = limits.limit;
        if depth > MAX_DELTA_DEPTH {
            return Err(unreadable("delta chain too long"));
        }
        if depth > 0
            && let Some((kind, data)) = self.cached_base(number, offset)
        {
            return Ok(Found::Object(kind, data.as_ref().clone()));
        }
        let pack = &packs[number];
        let entry = pack.entry(offset)?;
        let found = match entry.kind {
            EntryKind::Whole(_) if entry.size > limit => Found::TooLarge(entry.size),
            EntryKind::Whole(kind) => Found::Object(
                kind,
                pack.stream(entry.data, entry.size)
                    .into_vec(Vec::new(), entry.size)?,
            ),
            EntryKind::OffsetDelta(base) | EntryKind::RefDelta(Base::Offset(base)) => {
                self.delta(packs, number, &entry, base, limits, depth)?
            }
            EntryKind::RefDelta(Base::Elsewhere(ref id)) => {
                let mut stream = pack.stream(entry.data, entry.size);
                let (base_size, size, head) = delta_sizes(&mut stream, entry.size)?;
                if size > limit {
                    return Ok(Found::TooLarge(size));
                }
                let Some(Found::Object(kind, base)) = self.read_within(id, limits.for_base())?
                else {
                    return Err(unreadable("the delta's base is not here, or too large"));
                };
                check_base(&base, base_size)?;
                check_delta(entry.size, size)?;
                let delta = rest_of(stream, head, entry.size)?;
                Found::Object(kind, apply_delta(&base, &delta, size)?)
            }
        };
        Ok(found)
    }

    fn delta(
        &self,
        packs: &[Pack],
        number: usize,
        entry: &Entry,
        base_offset: u64,
        limits: Limits,
        depth: u32,
    ) -> io::Result<Found> {
        let mut stream = packs[number].stream(entry.data, entry.size);
        let (base_size, size, head) = delta_sizes(&mut stream, entry.size)?;
        if size > limits.limit {
            return Ok(Found::TooLarge(size));
        }
        let Found::Object(kind, base) =
            self.packed(packs, number, base_offset, limits.for_base(), depth + 1)?
        else {
            return Err(unreadable("the delta's base is much larger than the limit"));
        };
        check_base(&base, base_size)?;
        check_delta(entry.size, size)?;
        let delta = rest_of(stream, head, entry.size)?;
        let data = apply_delta(&base, &delta, size)?;
        self.keep_base(number, base_offset, kind, base);
        Ok(Found::Object(kind, data))
    }

    fn cached_base(&self, number: usize, offset: u64) -> Option<Resolved> {
        let cache = self.bases.lock().unwrap_or_else(|e| e.into_inner());
        cache.entries.get(&(number, offset)).cloned()
    }

    fn keep_base(&self, number: usize, offset: u64, kind: Kind, data: Vec<u8>) {
        if data.len() > BASE_CACHE_BYTES / 4 {
            return;
        }
        let mut cache = self.bases.lock().unwrap_or_else(|e| e.into_inner());
        if cache.bytes + data.len() > BASE_CACHE_BYTES {
            cache.entries.clear();
            cache.bytes = 0;
        }
        cache.bytes += data.len();
        cache
            .entries
            .insert((number, offset), (kind, Arc::new(data)));
    }
}

/// The largest object to read, and the largest delta base on the way to it.
#[derive(Debug, Clone, Copy)]
struct Limits {
    limit: u64,
    bases: u64,
}

impl Limits {
    fn for_base(self) -> Limits {
        Limits {
            limit: self.bases,
            ..self
        }
    }
}

fn check_base(base: &[u8], announced: u64) -> io::Result<()> {
    if base.len() as u64 != announced {
        return Err(unreadable(
            "the delta's base is not the size the delta says",
        ));
    }
    Ok(())
}

/// Lower-case hex of a binary object name.
pub(crate) fn hex(id: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(id.len() * 2);
    for byte in id {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    text
}

/// The binary object name of a hex one.
pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    text.as_bytes()
        .chunks(2)
        .map(|pair| match pair {
            [high, low] => Some(digit(*high)? << 4 | digit(*low)?),
            _ => None,
        })
        .collect()
}

/// A zlib stream being inflated, its compressed bytes read from `source` as needed. Read
/// it a little (headers), then [`Inflate::into_vec`] the rest, straight into the vector's
/// spare capacity: no zeroing of megabytes before they are written.
struct Inflate<R> {
    source: R,
    input: Box<[u8]>,
    start: usize,
    end: usize,
    state: Decompress,
    source_ended: bool,
}

impl<R: Read> Inflate<R> {
    /// `compressed` is about how many compressed bytes there are: reads are that size, at
    /// most 1 MiB (few calls into zlib, which copies its 32 KiB window at each).
    fn new(source: R, compressed: u64) -> Self {
        let buffer = usize::try_from(compressed.clamp(64, 1 << 20)).unwrap_or(1 << 20);
        Inflate {
            source,
            input: vec![0; buffer].into_boxed_slice(),
            start: 0,
            end: 0,
            state: Decompress::new(true),
            source_ended: false,
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.start == self.end && !self.source_ended {
            self.end = self.source.read(&mut self.input)?;
            self.start = 0;
            self.source_ended = self.end == 0;
        }
        Ok(())
    }

    /// One step into the spare capacity of `out`: whether the stream ended.
    fn step(&mut self, out: &mut Vec<u8>) -> io::Result<bool> {
        self.fill()?;
        let (before_in, before_out) = (self.state.total_in(), out.len());
        let status = self
            .state
            .decompress_vec(
                &self.input[self.start..self.end],
                out,
                FlushDecompress::None,
            )
            .map_err(|error| unreadable(format!("zlib: {error}")))?;
        let consumed =
            usize::try_from(self.state.total_in() - before_in).map_err(|_| unreadable("zlib"))?;
        self.start += consumed;
        if status == Status::StreamEnd {
            return Ok(true);
        }
        if consumed == 0 && out.len() == before_out && out.len() < out.capacity() {
            return Err(unreadable("the compressed data ends early"));
        }
        Ok(false)
    }

    /// The rest of the stream after `out`, which must make `size` bytes in all, and end there.
    fn into_vec(mut self, mut out: Vec<u8>, size: u64) -> io::Result<Vec<u8>> {
        let size = usize::try_from(size).map_err(|_| unreadable("object too large"))?;
        let wrong_size = || unreadable("object size does not match its header");
        out.reserve_exact(size.checked_sub(out.len()).ok_or_else(wrong_size)?);
        while out.len() < size {
            if self.step(&mut out)? {
                break;
            }
        }
        if out.len() != size {
            return Err(wrong_size());
        }
        // Nothing may follow, and the checksum at the end must hold.
        let mut probe = Vec::with_capacity(1);
        while probe.is_empty() && !self.step(&mut probe)? {}
        if !probe.is_empty() {
            return Err(wrong_size());
        }
        Ok(out)
    }
}

impl<R: Read> Read for Inflate<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let mut out = Vec::with_capacity(buffer.len());
        if !buffer.is_empty() {
            while !self.step(&mut out)? && out.is_empty() {}
        }
        buffer[..out.len()].copy_from_slice(&out);
        Ok(out.len())
    }
}

/// What a pack entry holds.
#[derive(Debug)]
enum EntryKind {
    Whole(Kind),
    /// A delta against the object at this offset of the same pack.
    OffsetDelta(u64),
    /// A delta against an object named by id.
    RefDelta(Base),
}

#[derive(Debug)]
enum Base {
    /// The base is in the same pack, here.
    Offset(u64),
    /// Elsewhere: another pack, or a loose object.
    Elsewhere(Vec<u8>),
}

#[derive(Debug)]
struct Entry {
    kind: EntryKind,
    /// The inflated size (of the delta, for deltas).
    size: u64,
    /// Where the zlib stream starts.
    data: u64,
}

impl Pack {
    fn open(index_path: &Path, hash_len: usize) -> io::Result<Option<Pack>> {
        let pack_path = index_path.with_extension("pack");
        let index_file = File::open(index_path)?;
        if index_file.metadata()?.len() > MAX_INDEX_BYTES {
            return Ok(None);
        }
        let mut data = Vec::new();
        index_file.take(MAX_INDEX_BYTES).read_to_end(&mut data)?;
        let Some(index) = Index::parse(data, hash_len) else {
            return Ok(None);
        };
        let file = File::open(pack_path)?;
        let mut magic = [0u8; 4];
        read_at(&file, &mut magic, 0)?;
        if magic != *b"PACK" {
            return Ok(None);
        }
        Ok(Some(Pack { index, file }))
    }

    /// The header of the entry at `offset`.
    fn entry(&self, offset: u64) -> io::Result<Entry> {
        let mut head = [0u8; 96];
        let got = read_at(&self.file, &mut head, offset)?;
        let head = &head[..got];
        let bad = || unreadable("bad pack entry header");
        let mut at = 0;
        let mut byte = *head.get(at).ok_or_else(bad)?;
        at += 1;
        let code = (byte >> 4) & 7;
        let mut size = u64::from(byte & 15);
        let mut shift = 4;
        while byte & 0x80 != 0 {
            byte = *head.get(at).ok_or_else(bad)?;
            at += 1;
            if shift > 57 {
                return Err(bad());
            }
            size |= u64::from(byte & 0x7f) << shift;
            shift += 7;
        }
        let kind = match code {
            OFS_DELTA => {
                // big-endian base-128, each continuation adding one (git's offset encoding)
                let mut byte = *head.get(at).ok_or_else(bad)?;
                at += 1;
                let mut distance = u64::from(byte & 0x7f);
                while byte & 0x80 != 0 {
                    byte = *head.get(at).ok_or_else(bad)?;
                    at += 1;
                    distance = distance
                        .checked_add(1)
                        .and_then(|d| d.checked_mul(128))
                        .ok_or_else(bad)?
                        | u64::from(byte & 0x7f);
                }
                if distance == 0 || distance > offset {
                    return Err(bad());
                }
                EntryKind::OffsetDelta(offset - distance)
            }
            REF_DELTA => {
                let id = head
                    .get(at..at + self.index.hash_len)
                    .ok_or_else(bad)?
                    .to_vec();
                at += self.index.hash_len;
                match self.index.find(&id) {
                    Some(base) => EntryKind::RefDelta(Base::Offset(base)),
                    None => EntryKind::RefDelta(Base::Elsewhere(id)),
                }
            }
            other => EntryKind::Whole(Kind::from_pack_type(other).ok_or_else(bad)?),
        };
        Ok(Entry {
            kind,
            size,
            data: offset + at as u64,
        })
    }

    /// The inflating reader of a zlib stream that starts at `offset` and inflates to `size`
    /// bytes (the compressed bytes are rarely many more).
    fn stream(&self, offset: u64, size: u64) -> Inflate<At<'_>> {
        let at = At {
            file: &self.file,
            offset,
        };
        Inflate::new(at, size.saturating_add(64))
    }
}

/// A reader of a file from an offset on, which never moves a shared file position (so that
/// both revisions can read the same pack at once).
struct At<'a> {
    file: &'a File,
    offset: u64,
}

impl Read for At<'_> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n = read_at(self.file, buffer, self.offset)?;
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buffer, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buffer: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buffer, offset)
}

/// The two sizes a delta starts with (its base's and its result's), and the bytes read to
/// find them.
fn delta_sizes(stream: &mut impl Read, delta_size: u64) -> io::Result<(u64, u64, Vec<u8>)> {
    let mut head = Vec::with_capacity(20);
    let mut byte = [0u8];
    let mut sizes = [0u64; 2];
    for size in &mut sizes {
        let mut shift = 0;
        loop {
            stream.read_exact(&mut byte)?;
            head.push(byte[0]);
            if shift > 63 || head.len() as u64 > delta_size {
                return Err(unreadable("bad delta header"));
            }
            *size |= u64::from(byte[0] & 0x7f) << shift;
            shift += 7;
            if byte[0] & 0x80 == 0 {
                break;
            }
        }
    }
    Ok((sizes[0], sizes[1], head))
}

/// A delta's own size is bounded by what it makes: every copy takes at most 8 bytes and
/// makes at least one, every insert one byte more than it makes. A larger one is damaged,
/// and is not inflated (its size would be allocated).
fn check_delta(delta_size: u64, size: u64) -> io::Result<()> {
    if delta_size > size.saturating_mul(8).saturating_add(1024) {
        return Err(unreadable("the delta is larger than what it makes"));
    }
    Ok(())
}

/// The rest of a delta whose first bytes were read.
fn rest_of(stream: Inflate<impl Read>, head: Vec<u8>, delta_size: u64) -> io::Result<Vec<u8>> {
    stream.into_vec(head, delta_size)
}

/// Applies a git delta (after its two sizes) to a base: copies from the base and inserts of
/// new bytes, checked against the base and the announced size.
fn apply_delta(base: &[u8], delta: &[u8], size: u64) -> io::Result<Vec<u8>> {
    let bad = || unreadable("bad delta");
    let mut at = 0;
    // skip the two sizes
    for _ in 0..2 {
        while *delta.get(at).ok_or_else(bad)? & 0x80 != 0 {
            at += 1;
        }
        at += 1;
    }
    let size = usize::try_from(size).map_err(|_| bad())?;
    let mut out = Vec::with_capacity(size);
    while at < delta.len() {
        let op = delta[at];
        at += 1;
        if op & 0x80 != 0 {
            let mut offset = 0usize;
            let mut length = 0usize;
            for (bit, shift) in [(0x01, 0), (0x02, 8), (0x04, 16), (0x08, 24)] {
                if op & bit != 0 {
                    offset |= usize::from(*delta.get(at).ok_or_else(bad)?) << shift;
                    at += 1;
                }
            }
            for (bit, shift) in [(0x10, 0), (0x20, 8), (0x40, 16)] {
                if op & bit != 0 {
                    length |= usize::from(*delta.get(at).ok_or_else(bad)?) << shift;
                    at += 1;
                }
            }
            if length == 0 {
                length = 0x10000;
            }
            let end = offset.checked_add(length).ok_or_else(bad)?;
            out.extend_from_slice(base.get(offset..end).ok_or_else(bad)?);
        } else if op != 0 {
            let length = usize::from(op);
            out.extend_from_slice(delta.get(at..at + length).ok_or_else(bad)?);
            at += length;
        } else {
            return Err(bad());
        }
        if out.len() > size {
            return Err(bad());
        }
    }
    if out.len() != size {
        return Err(bad());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
        let output = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
        output.stdout
    }

    /// A repository whose files change a little from commit to commit (so that packing
    /// makes chains of deltas), with one file larger than the limits tried.
    fn history(object_format: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(
            root,
            &["init", "-q", "-b", "main", "--object-format", object_format],
        );
        let mut log = String::new();
        for commit in 0..12 {
            for row in 0..400u32 {
                log.push_str(&format!(
                    "{},{:.6}\n",
                    commit * 400 + row,
                    1.0 / f64::from(row + 1)
                ));
            }
            std::fs::write(root.join("log.csv"), &log).unwrap();
            std::fs::write(
                root.join("metrics.json"),
                format!("{{\"acc\": 0.{commit}, \"loss\": {}}}", 12 - commit),
            )
            .unwrap();
            std::fs::create_dir_all(root.join("eval")).unwrap();
            std::fs::write(
                root.join("eval/big.txt"),
                "x".repeat(200_000 + commit as usize),
            )
            .unwrap();
            git(root, &["add", "-A"]);
            git(root, &["commit", "-q", "-m", &format!("c{commit}")]);
        }
        dir
    }

    /// Every object git has, as git's `cat-file --batch` gives it.
    fn all_objects(root: &Path) -> Vec<(String, Kind, Vec<u8>)> {
        let listing = git(
            root,
            &[
                "cat-file",
                "--batch-all-objects",
                "--batch-check=%(objectname) %(objecttype)",
            ],
        );
        String::from_utf8(listing)
            .unwrap()
            .lines()
            .map(|line| {
                let (id, kind) = line.split_once(' ').unwrap();
                let kind = Kind::from_name(kind.as_bytes()).unwrap();
                let data = git(root, &["cat-file", kind.name(), id]);
                (id.to_owned(), kind, data)
            })
            .collect()
    }

    fn reads_as_git_does(root: &Path) -> usize {
        let store = Store::new(root.join(".git/objects"));
        let objects = all_objects(root);
        for (id, kind, data) in &objects {
            let found = store.read(&from_hex(id).unwrap(), u64::MAX).unwrap();
            assert_eq!(found, Some(Found::Object(*kind, data.clone())), "{id}");
        }
        objects.len()
    }

    #[test]
    fn loose_objects_read_as_git_reads_them() {
        for format in ["sha1", "sha256"] {
            let repo = history(format);
            assert!(reads_as_git_does(repo.path()) > 40);
        }
    }

    #[test]
    fn packed_objects_with_offset_and_reference_deltas_read_as_git_reads_them() {
        for (format, offsets) in [("sha1", "true"), ("sha1", "false"), ("sha256", "true")] {
            let repo = history(format);
            let root = repo.path();
            git(
                root,
                &[
                    "-c",
                    &format!("repack.useDeltaBaseOffset={offsets}"),
                    "repack",
                    "-a",
                    "-d",
                    "-f",
                    "-q",
                    "--depth=50",
                    "--window=50",
                ],
            );
            git(root, &["prune-packed"]);
            let verify = git(root, &["verify-pack", "-v", &pack_index(root)]);
            let verify = String::from_utf8(verify).unwrap();
            assert!(
                verify.contains("chain length = 2"),
                "the pack has chains of deltas: {verify}"
            );
            assert!(reads_as_git_does(root) > 40);
        }
    }

    fn pack_index(root: &Path) -> String {
        std::fs::read_dir(root.join(".git/objects/pack"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "idx"))
            .unwrap()
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn sizes_are_checked_before_inflating_and_absent_objects_are_left_to_git() {
        let repo = history("sha1");
        let root = repo.path();
        let big = String::from_utf8(git(root, &["rev-parse", "HEAD:eval/big.txt"])).unwrap();
        let big = from_hex(big.trim()).unwrap();
        let store = Store::new(root.join(".git/objects"));
        assert_eq!(
            store.read(&big, 1000).unwrap(),
            Some(Found::TooLarge(200_011))
        );
        git(root, &["repack", "-a", "-d", "-q"]);
        git(root, &["prune-packed"]);
        let store = Store::new(root.join(".git/objects"));
        assert_eq!(
            store.read(&big, 1000).unwrap(),
            Some(Found::TooLarge(200_011))
        );
        assert_eq!(store.read(&[0xab; 20], u64::MAX).unwrap(), None);
    }

    #[test]
    fn a_loose_object_longer_or_shorter_than_its_header_is_refused() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let objects = dir.path();
        let store = Store::new(objects.to_path_buf());
        let write = |name: &str, content: &[u8]| {
            std::fs::create_dir_all(objects.join(&name[..2])).unwrap();
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(content).unwrap();
            let mut bytes = encoder.finish().unwrap();
            if name.starts_with("cc") {
                bytes.truncate(bytes.len() - 6); // cut inside the stream
            }
            std::fs::write(objects.join(&name[..2]).join(&name[2..]), bytes).unwrap();
            from_hex(name).unwrap()
        };
        let good = write(&format!("aa{}", "1".repeat(38)), b"blob 5\0hello");
        let long = write(&format!("bb{}", "1".repeat(38)), b"blob 2\0hello");
        let short = write(&format!("ba{}", "1".repeat(38)), b"blob 9\0hello");
        let cut = write(
            &format!("cc{}", "1".repeat(38)),
            &[b"blob 4000\0".as_slice(), &[7; 4000]].concat(),
        );
        assert_eq!(
            store.read(&good, 100).unwrap(),
            Some(Found::Object(Kind::Blob, b"hello".to_vec()))
        );
        for bad in [long, short, cut] {
            assert!(store.read(&bad, 10_000).is_err(), "{}", hex(&bad));
        }
    }

    #[test]
    fn corrupt_deltas_are_refused_not_misread() {
        let base = b"hello, world";
        // sizes 12 and 5, then a copy of 5 bytes from offset 7
        let good = [12, 5, 0x91, 7, 5];
        assert_eq!(apply_delta(base, &good, 5).unwrap(), b"world");
        for bad in [
            &[12, 5, 0x91, 10, 5][..], // past the end of the base
            &[12, 5, 0x00],            // reserved op
            &[12, 5, 0x05, b'a'],      // an insert cut short
            &[12, 6, 0x91, 7, 5],      // shorter than announced
            &[12, 4, 0x91, 7, 5],      // longer than announced
        ] {
            let size = u64::from(bad[1]);
            assert!(apply_delta(base, bad, size).is_err(), "{bad:?}");
        }
    }
}
