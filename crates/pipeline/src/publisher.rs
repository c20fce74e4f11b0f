//! Publishing posts to the stream and waiting for JetStream's acknowledgement.

use crate::message::PostMessage;
use crate::subjects;
use crate::{PipelineConfig, PipelineError, Result};
use async_nats::jetstream::{self, context::PublishAckFuture};
use quytac_core::item::Item;
use quytac_service::posts::PostSource;
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// The answer to a queued post (CONTRACT.md section 4): `{"post": <id>, "status": "queued"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Queued {
    /// The post's own id.
    pub post: String,
    /// Always `queued`: JetStream has stored (and replicated) it; a worker will check it.
    pub status: &'static str,
}

/// A handle on the stream for ingress nodes and imports. Cheap to clone.
#[derive(Clone)]
pub struct Publisher {
    client: async_nats::Client,
    js: jetstream::Context,
}

impl Publisher {
    /// Connects and makes sure the streams exist (with `config.replicas` replicas).
    pub async fn connect(config: &PipelineConfig) -> Result<Publisher> {
        let client = crate::connect(&config.urls).await?;
        let mut js = jetstream::new(client.clone());
        js.set_timeout(Duration::from_secs(10));
        crate::ensure_topology(&js, config).await?;
        Ok(Publisher { client, js })
    }

    pub fn jetstream(&self) -> &jetstream::Context {
        &self.js
    }

    pub fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// Sends a message (a post's, or a bundle's); the returned future resolves when JetStream
    /// acknowledged it. Sending many before awaiting their acknowledgements keeps the link busy
    /// (`quytac publish`).
    pub async fn send(
        &self,
        subject: String,
        headers: async_nats::HeaderMap,
        body: Vec<u8>,
    ) -> Result<PublishAckFuture> {
        self.js
            .publish_with_headers(subject, headers, body.into())
            .await
            .map_err(PipelineError::unavailable)
    }

    /// Publishes one post and waits for the acknowledgement.
    pub async fn publish(&self, item: &Item, source: PostSource, actor: &str) -> Result<Queued> {
        let msg = PostMessage::new(item, source, actor)?;
        let post = msg.external_id.clone();
        self.send(msg.subject, msg.headers, msg.body)
            .await?
            .await
            .map_err(PipelineError::unavailable)?;
        Ok(Queued {
            post,
            status: "queued",
        })
    }

    /// Whether a post with this id waits in the stream (published, not yet stored and
    /// acknowledged by a worker).
    pub async fn is_queued(&self, external_id: &str) -> Result<bool> {
        let stream = self
            .js
            .get_stream(subjects::POSTS_STREAM)
            .await
            .map_err(PipelineError::unavailable)?;
        match stream
            .get_last_raw_message_by_subject(&subjects::post_filter(external_id))
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.kind()
                    == async_nats::jetstream::stream::LastRawMessageErrorKind::NoMessageFound =>
            {
                Ok(false)
            }
            Err(e) => Err(PipelineError::unavailable(e)),
        }
    }
}
