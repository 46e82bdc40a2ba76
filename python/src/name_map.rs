//! `fasta`'s name map in Python: part ids back to original names and coordinates.

use std::io::BufReader;

use partition_core::output::write_file;
use partition_core::Source;
use pyo3::prelude::*;
use pyo3::types::PyIterator;

use crate::errors::detached;

/// One part of the reference (1-based, inclusive coordinates), as a row of the map.
#[pyclass(module = "chunkwise._native", frozen, get_all, eq)]
#[derive(Clone, PartialEq)]
pub struct Part {
    id: String,
    orig_name: String,
    start: u64,
    end: u64,
    own_start: u64,
    own_end: u64,
}

#[pymethods]
impl Part {
    fn __repr__(&self) -> String {
        format!(
            "Part(id={:?}, orig_name={:?}, start={}, end={}, own_start={}, own_end={})",
            self.id, self.orig_name, self.start, self.end, self.own_start, self.own_end
        )
    }
}

impl From<&fasta::Part> for Part {
    fn from(part: &fasta::Part) -> Part {
        Part {
            id: part.id.clone(),
            orig_name: part.orig_name.clone(),
            start: part.start,
            end: part.end,
            own_start: part.own_start,
            own_end: part.own_end,
        }
    }
}

/// The parts of a planned reference, by id.
#[pyclass(module = "chunkwise._native", frozen)]
pub struct NameMap {
    map: fasta::NameMap,
}

impl NameMap {
    pub fn new(map: fasta::NameMap) -> NameMap {
        NameMap { map }
    }
}

#[pymethods]
impl NameMap {
    /// Reads a map written by `fasta-split plan --map` (a path, `s3://` or `https://`).
    #[staticmethod]
    fn read(py: Python<'_>, url: String) -> PyResult<NameMap> {
        detached(py, move || {
            let reader = BufReader::new(Source::open(&url)?.reader()?);
            Ok(NameMap::new(fasta::NameMap::read(reader, &url)?))
        })
    }

    /// Writes the map as `fasta-split plan --map` does.
    fn write(&self, py: Python<'_>, url: String) -> PyResult<()> {
        detached(py, || write_file(&url, |out| self.map.write(out)))
    }

    #[getter]
    fn parts(&self) -> Vec<Part> {
        self.map.parts().iter().map(Part::from).collect()
    }

    /// The part of this id, or None.
    fn get(&self, id: &str) -> Option<Part> {
        self.map.get(id).map(Part::from)
    }

    /// 1-based `position` of part `id` in the original sequence: `(name, position, owned)`,
    /// `owned` false where another part owns the base (count it there); None for an unknown
    /// id or a position outside the part.
    fn to_original(&self, id: &str, position: u64) -> Option<(String, u64, bool)> {
        self.map
            .to_original(id, position)
            .map(|original| (original.name.to_owned(), original.position, original.owned))
    }

    fn __len__(&self) -> usize {
        self.map.parts().len()
    }

    fn __contains__(&self, id: &str) -> bool {
        self.map.get(id).is_some()
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyIterator>> {
        self.parts().into_pyobject(py)?.try_iter()
    }

    fn __repr__(&self) -> String {
        format!("NameMap({} parts)", self.map.parts().len())
    }
}
