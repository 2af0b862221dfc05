"""Amazon S3: buckets, objects (bodies encrypted on disk, streamed), multipart, versioning,
lifecycle on the virtual clock, websites, presigned URLs, event notifications."""
