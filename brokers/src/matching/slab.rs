//! Storage that grows without moving: orders live in fixed-size chunks, so adding the millionth
//! order never copies the first 999,999 (a `Vec` would, with a latency spike each time it
//! doubles).

const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;

/// An append-only sequence addressed by `u32` index.
#[derive(Debug, Clone)]
pub(super) struct Slab<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Slab<T> {
    pub(super) const fn new() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Appends and returns the new index, or `None` once `u32` indices run out.
    pub(super) fn push(&mut self, value: T) -> Option<u32> {
        let index = u32::try_from(self.len).ok()?;
        if self.chunks.last().is_none_or(|chunk| chunk.len() == CHUNK) {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks.last_mut()?.push(value);
        self.len += 1;
        Some(index)
    }

    #[inline]
    pub(super) fn get(&self, index: u32) -> Option<&T> {
        let index = index as usize;
        self.chunks
            .get(index >> CHUNK_BITS)?
            .get(index & (CHUNK - 1))
    }

    #[inline]
    pub(super) fn get_mut(&mut self, index: u32) -> Option<&mut T> {
        let index = index as usize;
        self.chunks
            .get_mut(index >> CHUNK_BITS)?
            .get_mut(index & (CHUNK - 1))
    }

    #[cfg(test)]
    pub(super) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

#[cfg(test)]
impl<T> std::ops::Index<usize> for Slab<T> {
    type Output = T;
    fn index(&self, index: usize) -> &T {
        self.get(u32::try_from(index).unwrap()).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_survive_growth_across_chunks() {
        let mut slab = Slab::new();
        for value in 0..(3 * CHUNK + 5) {
            assert_eq!(slab.push(value), Some(u32::try_from(value).unwrap()));
        }
        assert_eq!(slab.len(), 3 * CHUNK + 5);
        assert_eq!(slab.get(4097), Some(&4097));
        *slab.get_mut(4097).unwrap() = 1;
        assert_eq!(slab[4097], 1);
        assert_eq!(slab.get(u32::try_from(3 * CHUNK + 5).unwrap()), None);
        assert_eq!(slab.iter().count(), 3 * CHUNK + 5);
    }
}
