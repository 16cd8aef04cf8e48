//! Documents for people: reports of issue 9 live here.
