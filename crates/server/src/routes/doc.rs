//! What the OpenAPI document says of one route, taken from the types its handler reads and
//! answers: the request body, the success response, the query and path parameters. A route
//! declares them next to its handler in the route table (`.body::<T>()`, `.returns::<T>(201)`,
//! `.query::<Q>()`, `.path_param::<i64>("id")`), so the document is generated from the same
//! types that serde reads and writes.

use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// Named schemas that a document's components must hold.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// Makes the schema of one value (a body, a parameter).
pub type SchemaFn = fn() -> RefOr<Schema>;

/// A request or response body.
#[derive(Clone, Copy)]
pub struct Body {
    pub content_type: &'static str,
    /// The body's schema: a reference into the components for a named type, `None` for text
    /// that has no JSON schema (HTML pages, CSV files).
    pub schema: Option<SchemaFn>,
    /// Adds the named schemas the body needs to the components.
    pub collect: fn(&mut Schemas),
}

impl Body {
    pub fn json<T: ToSchema>() -> Self {
        Body {
            content_type: "application/json",
            schema: Some(|| RefOr::Ref(Ref::from_schema_name(T::name()))),
            collect: |schemas| {
                schemas.push((T::name().into_owned(), T::schema()));
                T::schemas(schemas);
            },
        }
    }

    /// A body of another media type, without a JSON schema.
    pub fn text(content_type: &'static str) -> Self {
        Body {
            content_type,
            schema: None,
            collect: |_| {},
        }
    }
}

/// The documented shape of one route.
#[derive(Clone, Default)]
pub struct Doc {
    pub request: Option<Body>,
    /// The success status and body.
    pub response: Option<(u16, Body)>,
    pub query: Option<fn() -> Vec<Parameter>>,
    /// Path parameters whose type is not a string, by name.
    pub path_params: Vec<(&'static str, SchemaFn)>,
}

impl Doc {
    pub fn with_query<Q: IntoParams>(mut self) -> Self {
        self.query = Some(|| Q::into_params(|| Some(ParameterIn::Query)));
        self
    }

    pub fn with_path_param<T: PartialSchema>(mut self, name: &'static str) -> Self {
        self.path_params.push((name, T::schema));
        self
    }
}
