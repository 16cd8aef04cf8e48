//! The cross-unit cases: every route that names an object, and every form field
//! that carries an id, with what each must answer.

use axum::http::Method;
use tanggap_tests::{Actor, TestApp};

use super::fixture::{Objects, TOKEN_B};
use crate::survey::ELEMENTS;

/// Routes whose path names something that is not an object of a unit, or whose key
/// is itself the permission. Each with the reason it needs no cross-unit case.
pub(super) const EXEMPT: &[(&str, &str)] = &[
    ("/u/{code}", "the key is the unit itself; a public page"),
    ("/u/{code}/ikm", "the key is the unit itself; a public page"),
    ("/u/{code}/ikm.png", "the key is the unit itself; a public image"),
    ("/u/{code}/pengaduan", "the key is the unit itself; the public form"),
    ("/lang/{code}", "a language, not an object"),
    ("/assets/{*path}", "static files"),
    ("/api/v1/tracking/{code}", "public: the tracking code is the permission"),
    ("/undangan/{token}", "public: the invite token is the permission"),
    ("/berhenti/{token}", "public: the stop link's token is the permission"),
    (
        "/api/v1/gateway/{unit}/{channel}",
        "a channel kind, not an object; signed with the unit's own secret",
    ),
    (
        "/api/v1/webhook/{unit}/{provider}/{secret}",
        "a provider kind and the unit's own webhook secret, not objects; another unit's secret is refused (provider_ids)",
    ),
    (
        "/sistem/pengguna/{id}/kata-sandi",
        "system level: only a system admin, who manages accounts of every unit (authz::Access::System)",
    ),
    (
        "/sistem/pengguna/{id}/status",
        "system level: only a system admin, who manages accounts of every unit (authz::Access::System)",
    ),
];

// ---- The cross-unit cases ----

/// Pairs of (placeholder or form field, value).
pub(super) type Pairs = Vec<(String, String)>;

/// How a case is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via {
    /// A form (or a GET) from the browser of `all_b`.
    Browser,
    /// A multipart form from the browser of `all_b` (the staff complaint form).
    Multipart,
    /// JSON with unit B's bearer token.
    Api,
}

/// One cross-unit reference. `keys` and `form` get (victim, own): the case names the
/// victim's object in the path or in a field, everything else is the actor's own.
pub(super) struct Case {
    pub(super) method: Method,
    pub(super) route: &'static str,
    pub(super) via: Via,
    pub(super) keys: fn(&Objects, &Objects) -> Pairs,
    pub(super) form: fn(&Objects, &Objects) -> Pairs,
    /// Answer under the actor's own unit's URL.
    pub(super) refused: u16,
    /// Answer under the victim unit's URL; None where the route is public and would
    /// act for anyone there (not a cross-unit question).
    pub(super) victim_url: Option<u16>,
    /// Answer when everything named is the actor's own.
    pub(super) own: u16,
}

pub(super) fn case(
    method: Method,
    route: &'static str,
    keys: fn(&Objects, &Objects) -> Pairs,
    form: fn(&Objects, &Objects) -> Pairs,
    own: u16,
) -> Case {
    Case {
        method,
        route,
        via: Via::Browser,
        keys,
        form,
        refused: 404,
        victim_url: Some(403),
        own,
    }
}

impl Case {
    pub(super) fn via(mut self, via: Via) -> Case {
        self.via = via;
        self
    }
    pub(super) fn refused(mut self, status: u16) -> Case {
        self.refused = status;
        self
    }
    pub(super) fn victim_url(mut self, status: Option<u16>) -> Case {
        self.victim_url = status;
        self
    }
}

pub(super) fn pairs(items: &[(&str, String)]) -> Pairs {
    items.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

pub(super) fn nothing(_: &Objects, _: &Objects) -> Pairs {
    Vec::new()
}

pub(super) fn classify_form(jenis: i64, service: i64, division: i64, handler: i64) -> Pairs {
    pairs(&[
        ("klasifikasi", "pengaduan".into()),
        ("jenis", jenis.to_string()),
        ("layanan", service.to_string()),
        ("bidang", division.to_string()),
        ("bobot", "ringan".into()),
        ("petugas", handler.to_string()),
    ])
}

pub(super) fn paper_form(service_code: &str) -> Pairs {
    let mut form = pairs(&[("tanggal", "2026-10-05".into()), ("layanan", service_code.into())]);
    form.extend(ELEMENTS.iter().map(|k| (format!("r1_{k}"), "3".to_owned())));
    form
}

/// Every cross-unit reference, path keys and form fields alike. Controls run in this
/// order, so a case that needs an earlier one's effect comes after it.
pub(super) fn cases() -> Vec<Case> {
    use Method as M;
    vec![
        case(
            M::GET,
            "/staf/{unit}/pengaduan/{id}",
            |v, _| pairs(&[("{id}", v.plain.to_string())]),
            nothing,
            200,
        ),
        case(
            M::POST,
            "/staf/{unit}/pengguna/{id}/kata-sandi",
            |v, _| pairs(&[("{id}", v.target_user.to_string())]),
            nothing,
            200,
        ),
        case(
            M::POST,
            "/staf/{unit}/pengguna/{id}/status",
            |v, _| pairs(&[("{id}", v.target_user.to_string())]),
            |_, _| pairs(&[("active", "0".into())]),
            200,
        ),
        case(
            M::POST,
            "/staf/{unit}/token/{id}/cabut",
            |v, _| pairs(&[("{id}", v.token.to_string())]),
            nothing,
            200,
        ),
        case(
            M::GET,
            "/staf/{unit}/pengaduan/{id}/lampiran/{file}",
            |v, _| pairs(&[("{id}", v.plain.to_string()), ("{file}", v.attachment.to_string())]),
            nothing,
            200,
        ),
        // The victim's file under the actor's own complaint.
        case(
            M::GET,
            "/staf/{unit}/pengaduan/{id}/lampiran/{file}",
            |v, o| pairs(&[("{id}", o.plain.to_string()), ("{file}", v.attachment.to_string())]),
            nothing,
            200,
        ),
        case(
            M::POST,
            "/staf/{unit}/kios/{id}/cabut",
            |v, _| pairs(&[("{id}", v.kiosk.to_string())]),
            nothing,
            303,
        ),
        case(
            M::GET,
            "/staf/{unit}/survei/periode/{id}",
            |v, _| pairs(&[("{id}", v.period.to_string())]),
            nothing,
            200,
        ),
        case(
            M::POST,
            "/staf/{unit}/survei/periode/{id}",
            |v, _| pairs(&[("{id}", v.period.to_string())]),
            |_, _| {
                pairs(&[
                    ("nama", "Semester II 2026 (diubah)".into()),
                    ("mulai", "2026-07-01".into()),
                    ("selesai", "2026-12-31".into()),
                    ("aturan", String::new()),
                    ("target", "150".into()),
                ])
            },
            303,
        ),
        case(
            M::POST,
            "/staf/{unit}/survei/periode/{id}/populasi",
            |v, _| pairs(&[("{id}", v.period.to_string())]),
            |_, o| vec![(format!("populasi_{}", o.service), "120".into())],
            303,
        ),
        // The actor's own period, the victim's service.
        case(
            M::POST,
            "/staf/{unit}/survei/periode/{id}/populasi",
            |_, o| pairs(&[("{id}", o.period.to_string())]),
            |v, _| vec![(format!("populasi_{}", v.service), "120".into())],
            303,
        )
        .refused(422),
        case(
            M::POST,
            "/staf/{unit}/survei/saran/{id}/pengaduan",
            |v, _| pairs(&[("{id}", v.saran.to_string())]),
            nothing,
            303,
        ),
        case(
            M::GET,
            "/staf/{unit}/survei/qr/{service}/png",
            |v, _| pairs(&[("{service}", v.service_code.clone())]),
            nothing,
            200,
        ),
        case(
            M::GET,
            "/staf/{unit}/survei/qr/{service}/svg",
            |v, _| pairs(&[("{service}", v.service_code.clone())]),
            nothing,
            200,
        ),
        case(
            M::GET,
            "/staf/{unit}/survei/qr/{service}/poster",
            |v, _| pairs(&[("{service}", v.service_code.clone())]),
            nothing,
            200,
        ),
        // A public page, but a service of another unit is not offered here.
        case(
            M::GET,
            "/survei/{unit}/{service}",
            |v, _| pairs(&[("{service}", v.service_code.clone())]),
            nothing,
            200,
        )
        .victim_url(Some(200)),
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/status",
            |v, _| pairs(&[("{id}", v.moving.to_string())]),
            |_, _| {
                pairs(&[
                    ("to", "terverifikasi".into()),
                    ("dari", "diterima".into()),
                    ("note", String::new()),
                ])
            },
            303,
        ),
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/klasifikasi",
            |v, _| pairs(&[("{id}", v.classifying.to_string())]),
            |_, o| classify_form(o.jenis, o.service, o.division, o.handler),
            303,
        ),
        // The actor's own complaint, classified with one of the victim's references.
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/klasifikasi",
            |_, o| pairs(&[("{id}", o.classifying.to_string())]),
            |v, o| classify_form(v.jenis, o.service, o.division, o.handler),
            303,
        )
        .refused(422),
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/klasifikasi",
            |_, o| pairs(&[("{id}", o.classifying.to_string())]),
            |v, o| classify_form(o.jenis, v.service, o.division, o.handler),
            303,
        )
        .refused(422),
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/klasifikasi",
            |_, o| pairs(&[("{id}", o.classifying.to_string())]),
            |v, o| classify_form(o.jenis, o.service, v.division, o.handler),
            303,
        )
        .refused(422),
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/klasifikasi",
            |_, o| pairs(&[("{id}", o.classifying.to_string())]),
            |v, o| classify_form(o.jenis, o.service, o.division, v.handler),
            303,
        )
        .refused(422),
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/persetujuan",
            |v, _| pairs(&[("{id}", v.sedang.to_string())]),
            |_, _| pairs(&[("peran", "kepala_bidang".into()), ("note", String::new())]),
            303,
        ),
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/eskalasi",
            |v, _| pairs(&[("{id}", v.berat.to_string())]),
            |_, _| pairs(&[("nomor_surat", "800/12/2026".into()), ("note", String::new())]),
            303,
        ),
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/jawaban",
            |v, _| pairs(&[("{id}", v.disposed.to_string())]),
            |_, _| pairs(&[("isi", "Loket tambahan sudah dibuka.".into())]),
            303,
        ),
        case(
            M::GET,
            "/staf/{unit}/pengaduan/{id}/surat-jawaban",
            |v, _| pairs(&[("{id}", v.letter.to_string())]),
            nothing,
            200,
        ),
        case(
            M::GET,
            "/staf/{unit}/pengaduan/{id}/surat-jawaban.pdf",
            |v, _| pairs(&[("{id}", v.letter.to_string())]),
            nothing,
            200,
        ),
        case(
            M::POST,
            "/staf/{unit}/templat-jawaban/{id}/hapus",
            |v, _| pairs(&[("{id}", v.template.to_string())]),
            nothing,
            303,
        ),
        // The victim's duplicate into the actor's complaint...
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/gabung",
            |v, _| pairs(&[("{id}", v.dup.to_string())]),
            |_, o| pairs(&[("ke", o.plain.to_string())]),
            303,
        ),
        // ...and the actor's complaint into the victim's (a form field). After the
        // status case: `moving` is terverifikasi by then, which may be archived.
        case(
            M::POST,
            "/staf/{unit}/pengaduan/{id}/gabung",
            |_, o| pairs(&[("{id}", o.moving.to_string())]),
            |v, _| pairs(&[("ke", v.plain.to_string())]),
            303,
        ),
        case(
            M::POST,
            "/api/v1/units/{unit}/complaints/{id}/status",
            |v, _| pairs(&[("{id}", v.api.to_string())]),
            |_, _| pairs(&[("to", "terverifikasi".into()), ("note", String::new())]),
            200,
        )
        .via(Via::Api),
        case(
            M::POST,
            "/staf/{unit}/jenis/{id}/status",
            |v, _| pairs(&[("{id}", v.jenis.to_string())]),
            |_, _| pairs(&[("aktif", "0".into())]),
            303,
        ),
        case(
            M::GET,
            "/staf/{unit}/laporan/{id}",
            |v, _| pairs(&[("{id}", v.draft.to_string())]),
            nothing,
            200,
        ),
        case(
            M::GET,
            "/staf/{unit}/laporan/{id}/berkas/{format}",
            |v, _| pairs(&[("{id}", v.draft.to_string()), ("{format}", "pdf".into())]),
            nothing,
            200,
        ),
        case(
            M::POST,
            "/staf/{unit}/laporan/{id}/ajukan",
            |v, _| pairs(&[("{id}", v.draft.to_string())]),
            |_, _| pairs(&[("note", "Siap diperiksa.".into())]),
            303,
        ),
        case(
            M::POST,
            "/staf/{unit}/laporan/{id}/setujui",
            |v, _| pairs(&[("{id}", v.submitted.to_string())]),
            |_, _| pairs(&[("note", String::new())]),
            303,
        ),
        case(
            M::POST,
            "/staf/{unit}/laporan/{id}/kembalikan",
            |v, _| pairs(&[("{id}", v.returnable.to_string())]),
            |_, _| pairs(&[("note", "Angka bulan lalu keliru.".into())]),
            303,
        ),
        case(
            M::POST,
            "/staf/{unit}/tindak-lanjut/{id}/realisasi",
            |v, _| pairs(&[("{id}", v.follow_up.to_string())]),
            |_, _| {
                pairs(&[
                    ("periode", "2026-S2".into()),
                    ("realisasi", "Loket ketiga dibuka.".into()),
                    ("tanggal", "2026-11-02".into()),
                ])
            },
            303,
        ),
        // Form fields of routes without an object in the path.
        case(
            M::POST,
            "/staf/{unit}/pengaduan/baru",
            nothing,
            |v, _| {
                pairs(&[
                    ("klasifikasi", "pengaduan".into()),
                    ("subject", "Jalan berlubang".into()),
                    ("description", "Jalan di depan kantor berlubang besar.".into()),
                    ("service", v.service.to_string()),
                    ("channel", "telepon".into()),
                    ("received_date", "2026-10-05".into()),
                ])
            },
            303,
        )
        .via(Via::Multipart)
        .refused(422),
        case(
            M::POST,
            "/staf/{unit}/kios",
            nothing,
            |v, _| pairs(&[("name", "Kios lobi".into()), ("layanan", v.service_code.clone())]),
            303,
        )
        .refused(422),
        case(
            M::POST,
            "/staf/{unit}/survei/undangan",
            nothing,
            |v, _| {
                pairs(&[
                    ("transaksi", "TRX-2026-0001".into()),
                    ("layanan", v.service_code.clone()),
                    ("saluran", "sms".into()),
                    ("kontak", "081234567890".into()),
                ])
            },
            200,
        )
        .refused(422),
        case(
            M::POST,
            "/staf/{unit}/survei/kertas",
            nothing,
            |v, _| paper_form(&v.service_code),
            303,
        )
        .refused(422),
        case(
            M::POST,
            "/api/v1/units/{unit}/survey-invites",
            nothing,
            |v, _| {
                pairs(&[
                    ("transaction_ref", "TRX-2026-0002".into()),
                    ("service", v.service_code.clone()),
                    ("channel", "sms".into()),
                    ("contact", "081234567891".into()),
                ])
            },
            201,
        )
        .via(Via::Api)
        .refused(422),
        // The public complaint API: anyone may file in unit A, so only the service
        // reference is the question.
        case(
            M::POST,
            "/api/v1/units/{unit}/complaints",
            nothing,
            |v, _| {
                pairs(&[
                    ("subject", "Lampu jalan mati".into()),
                    ("description", "Lampu jalan mati sejak seminggu.".into()),
                    ("service", v.service.to_string()),
                ])
            },
            201,
        )
        .via(Via::Api)
        .refused(422)
        .victim_url(None),
    ]
}

/// The browser of `all_b` and unit B's token.
pub(super) struct Caller<'a> {
    pub(super) app: &'a TestApp,
    pub(super) browser: Actor,
}

impl Caller<'_> {
    /// Sends `case` under `unit_code`'s URL with these keys and form: the status and body.
    pub(super) async fn send(&self, case: &Case, unit_code: &str, keys: &Pairs, form: &Pairs) -> (u16, String) {
        let mut path = case.route.replace("{unit}", unit_code);
        for (key, value) in keys {
            path = path.replace(key.as_str(), value);
        }
        assert!(!path.contains('{'), "{} left a key unset: {path}", case.route);
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        match (case.via, &case.method) {
            (Via::Browser, &Method::GET) => {
                let (status, _, body) = self.browser.get(&path).await;
                (status, body)
            }
            (Via::Browser, _) => {
                let (status, _, body) = self.browser.post(&path, &fields).await;
                (status, body)
            }
            (Via::Multipart, _) => {
                let mut multipart = reqwest::multipart::Form::new();
                for (k, v) in form {
                    multipart = multipart.text(k.clone(), v.clone());
                }
                let (status, _, body) = self.browser.post_multipart(&path, multipart).await;
                (status, body)
            }
            (Via::Api, method) => {
                let url = format!("{}{path}", self.app.address);
                let request = if *method == Method::GET {
                    self.app.client.get(url)
                } else {
                    let json: serde_json::Map<String, serde_json::Value> = form
                        .iter()
                        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                        .collect();
                    self.app.client.post(url).json(&json)
                };
                let response = request.bearer_auth(TOKEN_B).send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.text().await.unwrap())
            }
        }
    }
}

/// The path keys of a route other than its unit: the objects it names.
pub(super) fn object_keys(route: &str) -> Vec<&str> {
    route
        .split('/')
        .filter(|s| s.starts_with('{') && *s != "{unit}")
        .collect()
}
