-- PostgreSQL partitions `posts` by month here (postgres/0018_posts_by_month.sql). The embedded
-- SQLite store keeps one table: its unique `external_id` index already makes redelivery
-- idempotent, and it holds far fewer posts than a month's partition.
SELECT 1;
