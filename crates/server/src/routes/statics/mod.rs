//! The stylesheet and the language switch (public).

use super::{Guard, Route};
use crate::web::layout::{stylesheet, switch_language, CSS_PATH};

/// Routes of this resource.
pub fn routes() -> Vec<Route> {
    vec![
        Route::get(CSS_PATH, CSS_PATH, Guard::Public, stylesheet),
        Route::get("/lang/{code}", "/lang/en", Guard::Public, switch_language),
    ]
}
