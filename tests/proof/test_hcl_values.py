"""Comments inside a JSON template's ``${...}`` expressions are removed as HCL reads them; literal text never is."""

from __future__ import annotations

import pytest

from proof.verify.hcl_values import strip_comments, without_comments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${aws_x.y /* c */ .id}", "${aws_x.y   .id}"),
        ("${aws_x.y # c\n.id}", "${aws_x.y \n.id}"),
        ("${aws_x.y // c\n.id}", "${aws_x.y \n.id}"),
        ("${aws_s3_bucket.b.arn}/*", "${aws_s3_bucket.b.arn}/*"),  # a bucket's objects: literal text after the expression
        ('"${aws_s3_bucket.b.arn}/*", "${aws_sqs_queue.q.arn}"', '"${aws_s3_bucket.b.arn}/*", "${aws_sqs_queue.q.arn}"'),
        ('${"a/*b"}', '${"a/*b"}'),  # inside a string of the expression
        ('${"a\\"/*"}', '${"a\\"/*"}'),  # an escaped quote does not end that string
        ("$${not.an /* expression */}", "$${not.an /* expression */}"),  # an escaped interpolation is literal text
    ],
)
def test_only_comments_inside_expressions_are_removed(text: str, expected: str) -> None:
    assert strip_comments(text) == expected


def test_a_policy_naming_a_buckets_objects_is_kept_whole() -> None:
    policy = '{"Statement": [{"Resource": "${aws_s3_bucket.own_receipts.arn}/*"}, {"Resource": "${aws_sqs_queue.own_orders.arn}"}]}'
    assert without_comments({"policy": policy}) == {"policy": policy}
