import marshmallow as ma


class JobSchema(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String()
    status = ma.fields.String()
    done = ma.fields.Integer()
    total = ma.fields.Integer()
    percent = ma.fields.Function(lambda j: round(100 * j.done / j.total) if j.total else 100)
    result = ma.fields.Dict()
    error = ma.fields.String()
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
