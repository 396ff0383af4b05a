"""Task kind and state keep one index each: on PostgreSQL the second, pattern-operator
index that db_index adds for a text column served no query (kinds and states are matched
whole) and cost every task written."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('work', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='task',
            name='kind',
            field=models.CharField(max_length=32, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='task',
            name='state',
            field=models.CharField(choices=[('open', 'Open'), ('done', 'Done'), ('cancelled', 'Cancelled')], default='open', max_length=16, verbose_name='state'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['kind'], name='task_kind'),
        ),
        migrations.AddIndex(
            model_name='task',
            index=models.Index(fields=['state'], name='task_state'),
        ),
    ]
