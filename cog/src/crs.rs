//! A CRS from GeoKeys: `EPSG:code` when the keys name one, else OGC WKT 1 in GDAL's style,
//! built from the keys' datum, ellipsoid, prime meridian, projection method, parameters and
//! units. Parameters are looked up with libgeotiff's fallbacks between keys (an origin may be
//! stored as the natural origin, the false origin or the centre). Keys this cannot read as a
//! whole (an unknown method, datum or unit) give no CRS rather than a wrong one; the keys
//! themselves still travel in the manifest and into the windows written.

use serde::{Deserialize, Serialize};

/// GeoTIFF's CRS description: the key directory and the double and ASCII parameters it
/// points into, as stored (raster type forced to PixelIsArea, which `geotransform` follows).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeoKeys {
    pub directory: Vec<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub doubles: Vec<f64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ascii: String,
}

/// The GeoKey value for "user-defined": the parts are given by other keys.
const USER_DEFINED: u16 = 32767;

/// `EPSG:code` or WKT for the keys, when they describe a CRS this can name.
pub fn describe(keys: &GeoKeys) -> Option<String> {
    let code = |id| {
        keys.short(id)
            .filter(|&code| code > 0 && code < USER_DEFINED)
    };
    let projected = match keys.short(1024) {
        Some(1) => true,
        Some(2) => false,
        Some(_) => return None,
        None => keys.short(3072).is_some(),
    };
    if projected {
        match code(3072) {
            Some(code) => Some(format!("EPSG:{code}")),
            None => projcs(keys),
        }
    } else {
        match code(2048) {
            Some(code) => Some(format!("EPSG:{code}")),
            // As GDAL writes it: latitude first, as EPSG defines geographic CRSs.
            None => geogcs(keys).map(|(wkt, _)| {
                let open = &wkt[..wkt.len() - 1];
                format!("{open},AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST]]")
            }),
        }
    }
}

impl GeoKeys {
    fn entry(&self, id: u16) -> Option<&[u16]> {
        self.directory
            .get(4..)?
            .chunks_exact(4)
            .find(|entry| entry[0] == id)
    }

    /// A SHORT key's value.
    pub fn short(&self, id: u16) -> Option<u16> {
        self.entry(id)
            .filter(|entry| entry[1] == 0)
            .map(|entry| entry[3])
    }

    /// A DOUBLE key's (first) value.
    pub fn double(&self, id: u16) -> Option<f64> {
        let entry = self.entry(id).filter(|e| e[1] == 34736 && e[2] > 0)?;
        self.doubles.get(entry[3] as usize).copied()
    }

    /// An ASCII key's text, without the `|` that ends it.
    pub fn text(&self, id: u16) -> Option<&str> {
        let entry = self.entry(id).filter(|e| e[1] == 34737)?;
        let at = entry[3] as usize;
        let text = self.ascii.get(at..at + entry[2] as usize)?;
        Some(text.strip_suffix('|').unwrap_or(text))
    }
}

/// A field of a GDAL-style citation (`GCS Name = WGS 84|Datum = ...|`).
fn cited<'a>(citation: Option<&'a str>, field: &str) -> Option<&'a str> {
    citation?.split('|').find_map(|part| {
        part.strip_prefix(field)
            .and_then(|rest| rest.trim_start().strip_prefix('='))
            .map(str::trim)
    })
}

/// The GEOGCS, and the factor from the keys' angular unit to degrees.
fn geogcs(keys: &GeoKeys) -> Option<(String, f64)> {
    let to_degrees = match keys.short(2054) {
        None | Some(9102 | 9122) => 1.0,
        Some(9101) => 180.0 / std::f64::consts::PI,
        Some(9105) => 0.9,
        Some(_) => return None,
    };
    let citation = keys.text(2049);
    let coded = |id| keys.short(id).filter(|&code| code != USER_DEFINED);
    let (name, datum_code) = match coded(2048) {
        Some(code) => {
            let &(_, name, datum) = GEOGRAPHIC.iter().find(|g| g.0 == code)?;
            (name, Some(datum))
        }
        None => {
            let name = cited(citation, "GCS Name")
                .or(citation.filter(|c| !c.contains('=')))
                .unwrap_or("unknown");
            (name, coded(2050))
        }
    };
    let datum = datum_code.and_then(|code| DATUMS.iter().find(|d| d.0 == code));
    let table_ellipsoid = coded(2056)
        .or(datum.map(|d| d.2))
        .and_then(|code| ELLIPSOIDS.iter().find(|e| e.0 == code));
    let (ellipsoid_name, a, inverse_flattening, ellipsoid_code) = match keys.double(2057) {
        Some(a) => {
            let inverse_flattening = keys
                .double(2059)
                .or_else(|| {
                    let b = keys.double(2058)?;
                    Some(if b == a { 0.0 } else { a / (a - b) })
                })
                .or(table_ellipsoid.map(|e| e.3))
                .unwrap_or(0.0);
            let same = table_ellipsoid.filter(|e| e.2 == a && e.3 == inverse_flattening);
            let name = same
                .map(|e| e.1)
                .or(cited(citation, "Ellipsoid"))
                .unwrap_or("unknown");
            (name, a, inverse_flattening, same.map(|e| e.0))
        }
        None => {
            let &(code, name, a, inverse_flattening) = table_ellipsoid?;
            (name, a, inverse_flattening, Some(code))
        }
    };
    let datum_name = datum
        .map(|d| d.1)
        .or(cited(citation, "Datum"))
        .unwrap_or("unknown");
    let (meridian, longitude) = match (keys.short(2051), keys.double(2061)) {
        (None | Some(8901), None) => ("Greenwich", 0.0),
        (Some(8903), None) => ("Paris", 2.33722917),
        (_, Some(longitude)) => (
            cited(citation, "Primem").unwrap_or("unknown"),
            longitude * to_degrees,
        ),
        _ => return None,
    };
    let wkt = format!(
        "GEOGCS[{},DATUM[{},SPHEROID[{},{a},{inverse_flattening}{}]{}],PRIMEM[{},{longitude}],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]]{}]",
        quoted(name),
        quoted(datum_name),
        quoted(ellipsoid_name),
        authority(ellipsoid_code),
        authority(datum_code),
        quoted(meridian),
        authority(coded(2048)),
    );
    Some((wkt, to_degrees))
}

/// The PROJCS of a projected CRS without an EPSG code.
fn projcs(keys: &GeoKeys) -> Option<String> {
    let (geogcs, to_degrees) = geogcs(keys)?;
    let (unit, metres, unit_code) = linear_unit(keys)?;
    let values = Values { keys, to_degrees };
    let (projection, mut parameters) = match keys.short(3074) {
        // EPSG's UTM conversions, north and south.
        Some(code @ (16001..=16060 | 16101..=16160)) => utm(code, metres),
        Some(code) if code != USER_DEFINED => return None,
        _ => {
            let (projection, mut parameters) = method(keys.short(3075)?, &values)?;
            parameters.extend([
                (
                    "false_easting",
                    values.first(&[3082, 3090, 3086]).unwrap_or(0.0),
                ),
                (
                    "false_northing",
                    values.first(&[3083, 3091, 3087]).unwrap_or(0.0),
                ),
            ]);
            (projection, parameters)
        }
    };
    let name = keys
        .text(3073)
        .or(keys.text(1026))
        .filter(|name| !name.contains('='))
        .unwrap_or("unknown");
    let mut wkt = format!(
        "PROJCS[{},{geogcs},PROJECTION[{}]",
        quoted(name),
        quoted(projection)
    );
    for (parameter, value) in parameters.drain(..) {
        wkt.push_str(&format!(",PARAMETER[{},{value}]", quoted(parameter)));
    }
    wkt.push_str(&format!(
        ",UNIT[{},{metres}{}]]",
        quoted(unit),
        authority(unit_code)
    ));
    Some(wkt)
}

/// A projection's name and parameters, in GDAL's order.
type Projection = (&'static str, Vec<(&'static str, f64)>);

/// The linear unit: its name, its length in metres, its EPSG code.
fn linear_unit(keys: &GeoKeys) -> Option<(&'static str, f64, Option<u16>)> {
    Some(match keys.short(3076) {
        None | Some(9001) => ("metre", 1.0, Some(9001)),
        Some(9002) => ("foot", 0.3048, Some(9002)),
        Some(9003) => ("US survey foot", 1200.0 / 3937.0, Some(9003)),
        Some(9036) => ("kilometre", 1000.0, Some(9036)),
        Some(USER_DEFINED) => ("unknown", keys.double(3077)?, None),
        Some(_) => return None,
    })
}

/// An EPSG UTM conversion (16001-16060 north, 16101-16160 south).
fn utm(code: u16, metres: f64) -> Projection {
    let zone = f64::from(code % 100);
    let northing = if code > 16100 { 10_000_000.0 } else { 0.0 };
    (
        "Transverse_Mercator",
        vec![
            ("latitude_of_origin", 0.0),
            ("central_meridian", zone * 6.0 - 183.0),
            ("scale_factor", 0.9996),
            ("false_easting", 500_000.0 / metres),
            ("false_northing", northing / metres),
        ],
    )
}

/// The projection parameters of user-defined keys, with libgeotiff's fallbacks: files store
/// an origin as the natural origin, the false origin or the centre.
struct Values<'a> {
    keys: &'a GeoKeys,
    to_degrees: f64,
}

impl Values<'_> {
    /// The first of these DOUBLE keys present.
    fn first(&self, ids: &[u16]) -> Option<f64> {
        ids.iter().find_map(|&id| self.keys.double(id))
    }

    /// The first of these angles present, in degrees (0 when none is).
    fn angle(&self, ids: &[u16]) -> f64 {
        self.first(ids).unwrap_or(0.0) * self.to_degrees
    }

    fn latitude(&self) -> f64 {
        self.angle(&[3081, 3085, 3089])
    }

    fn longitude(&self) -> f64 {
        self.angle(&[3080, 3084, 3088])
    }

    fn scale(&self) -> f64 {
        self.first(&[3092, 3093]).unwrap_or(1.0)
    }

    fn centre(&self) -> [f64; 2] {
        [
            self.angle(&[3089, 3081, 3085]),
            self.angle(&[3088, 3080, 3084]),
        ]
    }
}

/// The projection of a user-defined method (ProjCoordTransGeoKey), false origin aside.
fn method(method: u16, v: &Values) -> Option<Projection> {
    let (latitude, longitude) = (v.latitude(), v.longitude());
    let (parallel_1, parallel_2) = (v.angle(&[3078]), v.angle(&[3079]));
    let origin_and_scale = || {
        vec![
            ("latitude_of_origin", latitude),
            ("central_meridian", longitude),
            ("scale_factor", v.scale()),
        ]
    };
    let centre = || {
        let [latitude, longitude] = v.centre();
        vec![
            ("latitude_of_center", latitude),
            ("longitude_of_center", longitude),
        ]
    };
    Some(match method {
        1 => ("Transverse_Mercator", origin_and_scale()),
        27 => ("Transverse_Mercator_South_Orientated", origin_and_scale()),
        7 if v.keys.double(3078).is_some() => (
            "Mercator_2SP",
            vec![
                ("standard_parallel_1", parallel_1),
                ("central_meridian", longitude),
            ],
        ),
        7 => (
            "Mercator_1SP",
            vec![("central_meridian", longitude), ("scale_factor", v.scale())],
        ),
        8 => (
            "Lambert_Conformal_Conic_2SP",
            vec![
                ("latitude_of_origin", v.angle(&[3085, 3081, 3089])),
                ("central_meridian", v.angle(&[3084, 3080, 3088])),
                ("standard_parallel_1", parallel_1),
                ("standard_parallel_2", parallel_2),
            ],
        ),
        9 => ("Lambert_Conformal_Conic_1SP", origin_and_scale()),
        10 => ("Lambert_Azimuthal_Equal_Area", centre()),
        11 => (
            "Albers_Conic_Equal_Area",
            vec![
                ("latitude_of_center", latitude),
                ("longitude_of_center", longitude),
                ("standard_parallel_1", parallel_1),
                ("standard_parallel_2", parallel_2),
            ],
        ),
        12 => ("Azimuthal_Equidistant", centre()),
        14 => ("Stereographic", origin_and_scale()),
        16 => ("Oblique_Stereographic", origin_and_scale()),
        15 => {
            let mut parameters = vec![
                ("latitude_of_origin", latitude),
                ("central_meridian", v.angle(&[3095, 3080, 3084, 3088])),
            ];
            // Variant B (a standard parallel) has no scale factor.
            if latitude.abs() == 90.0 {
                parameters.push(("scale_factor", v.scale()));
            }
            ("Polar_Stereographic", parameters)
        }
        17 => {
            let mut parameters = vec![
                ("standard_parallel_1", parallel_1),
                ("central_meridian", longitude),
            ];
            if latitude != 0.0 {
                parameters.insert(0, ("latitude_of_origin", latitude));
            }
            ("Equirectangular", parameters)
        }
        18 => (
            "Cassini_Soldner",
            vec![
                ("latitude_of_origin", latitude),
                ("central_meridian", longitude),
            ],
        ),
        21 => (
            "Orthographic",
            vec![
                ("latitude_of_origin", latitude),
                ("central_meridian", longitude),
            ],
        ),
        24 => ("Sinusoidal", vec![("longitude_of_center", longitude)]),
        28 => (
            "Cylindrical_Equal_Area",
            vec![
                ("standard_parallel_1", parallel_1),
                ("central_meridian", longitude),
            ],
        ),
        _ => return None,
    })
}

fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn authority(code: Option<u16>) -> String {
    code.map(|code| format!(",AUTHORITY[\"EPSG\",\"{code}\"]"))
        .unwrap_or_default()
}

/// Geographic CRSs by EPSG code: name and datum code.
const GEOGRAPHIC: &[(u16, &str, u16)] = &[
    (4326, "WGS 84", 6326),
    (4269, "NAD83", 6269),
    (4267, "NAD27", 6267),
    (4258, "ETRS89", 6258),
    (4283, "GDA94", 6283),
    (7844, "GDA2020", 1168),
    (4230, "ED50", 6230),
    (4277, "OSGB36", 6277),
    (4322, "WGS 72", 6322),
    (4612, "JGD2000", 6612),
    (6668, "JGD2011", 1128),
    (4674, "SIRGAS 2000", 6674),
    (4152, "NAD83(HARN)", 6152),
    (4617, "NAD83(CSRS)", 6140),
    (4490, "China Geodetic Coordinate System 2000", 1043),
    (4314, "DHDN", 6314),
    (4312, "MGI", 6312),
    (4171, "RGF93 v1", 6171),
    (4275, "NTF", 6275),
    (4148, "Hartebeesthoek94", 6148),
    (4167, "NZGD2000", 6167),
    (4301, "Tokyo", 6301),
];

/// Datums by EPSG code: GDAL's WKT 1 name and the ellipsoid code.
const DATUMS: &[(u16, &str, u16)] = &[
    (6326, "WGS_1984", 7030),
    (6269, "North_American_Datum_1983", 7019),
    (6267, "North_American_Datum_1927", 7008),
    (6258, "European_Terrestrial_Reference_System_1989", 7019),
    (6283, "Geocentric_Datum_of_Australia_1994", 7019),
    (1168, "Geocentric_Datum_of_Australia_2020", 7019),
    (6230, "European_Datum_1950", 7022),
    (6277, "Ordnance_Survey_of_Great_Britain_1936", 7001),
    (6322, "World_Geodetic_System_1972", 7043),
    (6612, "Japanese_Geodetic_Datum_2000", 7019),
    (1128, "Japanese_Geodetic_Datum_2011", 7019),
    (
        6674,
        "Sistema_de_Referencia_Geocentrico_para_las_AmericaS_2000",
        7019,
    ),
    (6152, "NAD83_High_Accuracy_Reference_Network", 7019),
    (6140, "NAD83_Canadian_Spatial_Reference_System", 7019),
    (1043, "China_2000", 1024),
    (6314, "Deutsches_Hauptdreiecksnetz", 7004),
    (6312, "Militar-Geographische_Institut", 7004),
    (6171, "Reseau_Geodesique_Francais_1993_v1", 7019),
    (6275, "Nouvelle_Triangulation_Francaise", 7011),
    (6148, "Hartebeesthoek94", 7030),
    (6167, "New_Zealand_Geodetic_Datum_2000", 7019),
    (6301, "Tokyo", 7004),
];

/// Ellipsoids by EPSG code: name, semi-major axis (metres), inverse flattening (0: a sphere).
const ELLIPSOIDS: &[(u16, &str, f64, f64)] = &[
    (7030, "WGS 84", 6378137.0, 298.257223563),
    (7019, "GRS 1980", 6378137.0, 298.257222101),
    (7008, "Clarke 1866", 6378206.4, 294.978698213898),
    (7022, "International 1924", 6378388.0, 297.0),
    (7001, "Airy 1830", 6377563.396, 299.3249646),
    (7043, "WGS 72", 6378135.0, 298.26),
    (1024, "CGCS2000", 6378137.0, 298.257222101),
    (7004, "Bessel 1841", 6377397.155, 299.1528128),
    (7011, "Clarke 1880 (IGN)", 6378249.2, 293.466021293627),
    (7012, "Clarke 1880 (RGS)", 6378249.145, 293.465),
    (7024, "Krassowsky 1940", 6378245.0, 298.3),
    (7035, "Sphere", 6371000.0, 0.0),
    (7048, "GRS 1980 Authalic Sphere", 6371007.0, 0.0),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(entries: &[[u16; 4]], doubles: &[f64]) -> GeoKeys {
        let mut directory = vec![1, 1, 0, entries.len() as u16];
        directory.extend(entries.iter().flatten());
        GeoKeys {
            directory,
            doubles: doubles.to_vec(),
            ascii: String::new(),
        }
    }

    #[test]
    fn codes_are_named_by_epsg() {
        let projected = keys(&[[1024, 0, 1, 1], [3072, 0, 1, 32633]], &[]);
        assert_eq!(describe(&projected).as_deref(), Some("EPSG:32633"));
        let geographic = keys(&[[1024, 0, 1, 2], [2048, 0, 1, 4326]], &[]);
        assert_eq!(describe(&geographic).as_deref(), Some("EPSG:4326"));
    }

    #[test]
    fn a_user_defined_projection_on_a_coded_datum_is_wkt() {
        // A user-defined UTM zone 33 north on WGS 84, in US survey feet.
        let utm = keys(
            &[
                [1024, 0, 1, 1],
                [2048, 0, 1, 4326],
                [3072, 0, 1, 32767],
                [3074, 0, 1, 16033],
                [3076, 0, 1, 9003],
            ],
            &[],
        );
        let wkt = describe(&utm).unwrap();
        assert!(wkt.starts_with("PROJCS[\"unknown\",GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]]"), "{wkt}");
        assert!(wkt.contains("PARAMETER[\"central_meridian\",15]"), "{wkt}");
        assert!(
            wkt.contains("PARAMETER[\"false_easting\",1640416.6666666667]"),
            "{wkt}"
        );
        assert!(
            wkt.ends_with(
                "UNIT[\"US survey foot\",0.3048006096012192,AUTHORITY[\"EPSG\",\"9003\"]]]"
            ),
            "{wkt}"
        );
    }

    #[test]
    fn what_cannot_be_read_whole_gives_no_crs() {
        // A datum this does not know, with no ellipsoid given.
        let unknown_datum = keys(
            &[[1024, 0, 1, 2], [2048, 0, 1, 32767], [2050, 0, 1, 6001]],
            &[],
        );
        assert_eq!(describe(&unknown_datum), None);
        // An oblique Mercator (not supported).
        let oblique = keys(
            &[
                [1024, 0, 1, 1],
                [2048, 0, 1, 4326],
                [3072, 0, 1, 32767],
                [3074, 0, 1, 32767],
                [3075, 0, 1, 3],
            ],
            &[],
        );
        assert_eq!(describe(&oblique), None);
        // Geocentric.
        assert_eq!(describe(&keys(&[[1024, 0, 1, 3]], &[])), None);
    }
}
